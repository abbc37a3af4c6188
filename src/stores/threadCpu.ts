/**
 * CPU time per thread of this process, for `/metrics` (`nodejs_thread_cpu_seconds_total`): the main
 * thread and the ledger's writer thread each saturate on their own, which the process-wide
 * `process_cpu_seconds_total` cannot show. Linux only (/proc); elsewhere nothing is reported.
 */
import { readFileSync, readlinkSync } from 'node:fs';

/** Thread name → its Linux thread id (0 while not yet known). */
const threads = new Map<string, () => number>([['main', () => process.pid]]);

/** Reports `name`'s CPU from now on; the function returned forgets it, unless another took the name since. */
export function registerThread(name: string, threadId: () => number): () => void {
  threads.set(name, threadId);
  return () => {
    if (threads.get(name) === threadId) threads.delete(name);
  };
}

/** The calling thread's Linux thread id, or 0 off Linux. */
export function ownThreadId(): number {
  try {
    return Number(readlinkSync('/proc/thread-self').split('/').pop()) || 0;
  } catch {
    return 0;
  }
}

/** Seconds on a CPU so far, per registered thread that can be read (schedstat: nanoseconds). */
export function threadCpuSeconds(): Map<string, number> {
  const out = new Map<string, number>();
  for (const [name, threadId] of threads) {
    const tid = threadId();
    if (tid === 0) continue;
    try {
      out.set(name, Number(readFileSync(`/proc/self/task/${tid}/schedstat`, 'latin1').split(' ')[0]) / 1e9);
    } catch {
      // not Linux, or the thread has ended
    }
  }
  return out;
}
