import type { ClientState } from '../clients/state.js';

/** A self-registered client found idle: when it was last used (ms; its registration when never). */
export interface IdleClient {
  clientId: string;
  lastUsedAt: number;
}

/**
 * The clients that registered themselves at /register (RFC 7591) not deleted and not used for `idleSeconds` at `now`
 * (ms). Used: issued a token or an authorization code; a client never used counts from its registration. 0 seconds:
 * none. Operators' clients are never pruned, nor are metadata-document clients: their id is their document's URL,
 * which a deletion would keep taken for good (a ban, for an operator to decide), while a pruned dynamic client just
 * registers again under a new id.
 */
export function idleSelfRegisteredClients(
  clients: Iterable<Pick<ClientState, 'clientId' | 'registration' | 'deleted' | 'registeredAt'>>,
  lastUsedAt: (clientId: string) => number | undefined,
  now: number,
  idleSeconds: number,
): IdleClient[] {
  if (idleSeconds <= 0) return [];
  const cutoff = now - idleSeconds * 1000;
  const idle: IdleClient[] = [];
  for (const c of clients) {
    if (c.registration?.via !== 'dynamic' || c.deleted) continue;
    const last = Math.max(c.registeredAt, lastUsedAt(c.clientId) ?? 0);
    if (last <= cutoff) idle.push({ clientId: c.clientId, lastUsedAt: last });
  }
  return idle;
}

/** The reason recorded on ClientDeleted: in days when whole, else in seconds. */
export function idleReason(idleSeconds: number): string {
  const [n, unit] = idleSeconds % 86_400 === 0 ? [idleSeconds / 86_400, 'day'] : [idleSeconds, 'second'];
  return `unused for ${n} ${unit}${n === 1 ? '' : 's'}`;
}
