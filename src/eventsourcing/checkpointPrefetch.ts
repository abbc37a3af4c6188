import { Worker } from 'node:worker_threads';
import type { CheckpointSections } from './checkpointFile.js';

/**
 * Reads and checks the checkpoint on a thread of its own, started as soon as the runner exists: a
 * million live tokens make it a hundred-odd megabytes to read and hash, which then overlaps the rest
 * of the start (schema compilation, the key check, the HTTP app) instead of following it.
 */
export function prefetchCheckpoint(file: string): Promise<CheckpointSections | string> {
  return new Promise((resolve) => {
    const worker = new Worker(new URL('./checkpointReaderThread.js', import.meta.url), { workerData: { file } });
    let settled = false;
    const settle = (value: CheckpointSections | string) => {
      if (settled) return;
      settled = true;
      resolve(value);
    };
    worker.once('message', settle);
    worker.once('error', () => settle('checkpoint unreadable'));
    worker.once('exit', () => settle('checkpoint unreadable'));
  });
}
