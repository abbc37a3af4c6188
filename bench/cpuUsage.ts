/**
 * CPU time, not only wall time: the bench machine's cores are shared, so req/s alone moves with
 * whatever else runs; CPU µs per operation in each process that does the work does not.
 * Linux only (/proc); elsewhere the figures read "n/a".
 */
import { readFileSync } from 'node:fs';
import pg from 'pg';

/** USER_HZ: the unit of utime/stime in /proc/<pid>/stat, 100 on every Linux build. */
const TICKS_PER_SECOND = 100;

/** utime + stime of a process in µs, or undefined when it cannot be read (gone, not Linux). */
function processCpuMicros(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** This process's CPU (user + system) in µs. */
function ownCpuMicros(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

/**
 * The CPU of the PostgreSQL backends serving one database (other databases on the same server are
 * other people's): sampled by pid before and after; a backend born in between counts from zero,
 * one that ended in between is lost (the pools keep their connections for the length of a row).
 */
class PostgresCpu {
  private constructor(private readonly client: pg.Client) {}

  static async open(url: string): Promise<PostgresCpu> {
    const client = new pg.Client({ connectionString: url, application_name: 'token-ledger-bench-cpu' });
    await client.connect();
    return new PostgresCpu(client);
  }

  /** Per backend pid of this database (this sampler's own excepted): CPU µs so far. */
  async sample(): Promise<Map<number, number>> {
    const { rows } = await this.client.query<{ pid: number }>(
      'SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
    );
    const cpu = new Map<number, number>();
    for (const { pid } of rows) {
      const micros = processCpuMicros(pid);
      if (micros !== undefined) cpu.set(pid, micros);
    }
    return cpu;
  }

  static spent(before: Map<number, number>, after: Map<number, number>): number {
    let total = 0;
    for (const [pid, micros] of after) total += micros - (before.get(pid) ?? 0);
    return total;
  }

  close(): Promise<void> {
    return this.client.end();
  }
}

/** CPU µs per operation in the process serving it and in its PostgreSQL backends (absent: not measured). */
export interface CpuPerOp {
  node?: number;
  postgres?: number;
}

/** Runs `work` (which reports how many operations it did) and divides the CPU spent by them. */
export async function measureCpu<T>(
  work: () => Promise<T>,
  count: (result: T) => number,
  sources: { nodePid?: number; postgresUrl?: string },
): Promise<{ result: T; cpu: CpuPerOp }> {
  const node = () => (sources.nodePid === undefined ? ownCpuMicros() : processCpuMicros(sources.nodePid));
  const pgCpu = sources.postgresUrl ? await PostgresCpu.open(sources.postgresUrl) : undefined;
  try {
    const pgBefore = await pgCpu?.sample();
    const nodeBefore = node();
    const result = await work();
    const nodeAfter = node();
    const pgAfter = await pgCpu?.sample();
    const n = count(result);
    const per = (micros: number | undefined) => (micros === undefined || n === 0 ? undefined : micros / n);
    const cpu: CpuPerOp = {
      node: per(nodeBefore === undefined || nodeAfter === undefined ? undefined : nodeAfter - nodeBefore),
    };
    if (pgBefore && pgAfter) cpu.postgres = per(PostgresCpu.spent(pgBefore, pgAfter));
    return { result, cpu };
  } finally {
    await pgCpu?.close();
  }
}

const micros = (n: number | undefined) =>
  n === undefined ? 'n/a' : n.toLocaleString('en-US', { maximumFractionDigits: n < 100 ? 1 : 0 });

/** "node 123 µs + PostgreSQL 45 µs" for a detail cell. */
export function describeCpu(cpu: CpuPerOp): string {
  const parts = [`node ${micros(cpu.node)} µs`];
  if (cpu.postgres !== undefined) parts.push(`PostgreSQL ${micros(cpu.postgres)} µs`);
  return `CPU/op: ${parts.join(' + ')}`;
}

/** A thread's time on a CPU in µs (schedstat: nanoseconds; the main thread's id is the pid), or undefined. */
function threadCpuMicros(pid: number, tid = pid): number | undefined {
  try {
    return Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'latin1').split(' ')[0]) / 1e3;
  } catch {
    return undefined;
  }
}

/** What one of our servers says in /metrics about its ledger writer: its thread's CPU and the appends it made. */
async function writerCounters(base: string): Promise<{ cpuMicros: number; appends: number } | undefined> {
  try {
    const text = await (await fetch(`${base}/metrics`, { signal: AbortSignal.timeout(5_000) })).text();
    const value = (re: RegExp) => Number(re.exec(text)?.[1] ?? NaN);
    const cpu = value(/^nodejs_thread_cpu_seconds_total\{thread="ledger-writer"\} (\S+)$/m);
    const appends = value(/^ledger_append_batch_size_sum (\S+)$/m);
    return Number.isFinite(cpu) && Number.isFinite(appends) ? { cpuMicros: cpu * 1e6, appends } : undefined;
  } catch {
    return undefined;
  }
}

/** Per request of a load run: the server's main-thread CPU, and (ours) the writer thread's CPU per append. */
export interface ServerCpu {
  mainMicros?: number;
  writerMicrosPerAppend?: number;
}

/**
 * Samples a server's main thread (from /proc, the same for every server) and, given `metricsBase`, its ledger
 * writer (from its /metrics) around `work`, which reports how many requests it made.
 */
export async function sampleServerCpu<T>(
  pid: number | undefined,
  metricsBase: string | undefined,
  work: () => Promise<T>,
  requests: (result: T) => number,
): Promise<{ result: T; cpu: ServerCpu }> {
  const mainBefore = pid === undefined ? undefined : threadCpuMicros(pid);
  const writerBefore = metricsBase === undefined ? undefined : await writerCounters(metricsBase);
  const result = await work();
  const mainAfter = pid === undefined ? undefined : threadCpuMicros(pid);
  const writerAfter = metricsBase === undefined ? undefined : await writerCounters(metricsBase);
  const n = requests(result);
  const cpu: ServerCpu = {};
  if (mainBefore !== undefined && mainAfter !== undefined && n > 0) cpu.mainMicros = (mainAfter - mainBefore) / n;
  if (writerBefore && writerAfter && writerAfter.appends > writerBefore.appends)
    cpu.writerMicrosPerAppend =
      (writerAfter.cpuMicros - writerBefore.cpuMicros) / (writerAfter.appends - writerBefore.appends);
  return { result, cpu };
}
