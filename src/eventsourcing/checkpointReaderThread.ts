import { parentPort, workerData } from 'node:worker_threads';
import { readCheckpointSections } from './checkpointFile.js';

/** Reads and checks one checkpoint file, hands its sections over (transferred, not copied), and ends. */
let result: ReturnType<typeof readCheckpointSections>;
try {
  result = readCheckpointSections((workerData as { file: string }).file);
} catch {
  result = 'checkpoint unreadable';
}
parentPort!.postMessage(result, typeof result === 'string' ? [] : Object.values(result.sections));
