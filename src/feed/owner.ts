import { hostname } from 'node:os';

/** The owners this process made: an owner with this pid and another id is from an earlier process. */
const ours = new Set<string>();

/**
 * An owner names its host and process (unique across the hosts sharing a ledger with a random id), so that a process
 * on the same host can tell a dead owner at once.
 */
export function ownerName(id: string): string {
  const owner = `${hostname()}:${process.pid}:${id}`;
  ours.add(owner);
  return owner;
}

/**
 * Whether the owner named is gone for sure: a process of this host that no longer runs, or an earlier process that
 * had this one's pid (a restarted container). Owners on other hosts wait for their lease to expire.
 */
export function ownerDead(owner: string): boolean {
  const [host, pid] = owner.split(':');
  if (host !== hostname() || pid === undefined) return false;
  if (Number(pid) === process.pid) return !ours.has(owner);
  try {
    process.kill(Number(pid), 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
