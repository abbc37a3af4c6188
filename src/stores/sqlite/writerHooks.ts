import type Database from 'better-sqlite3';
import type { AppendRequest } from './protocol.js';

/**
 * Code a caller may run inside the writer thread at two points of every group commit (the fault
 * suite holds a commit open or makes the disk full there). Given to the store as the URL of a
 * module exporting either function, since functions cannot cross into a worker thread.
 */
export interface WriterHooks {
  /** Runs before the batch's transaction begins. */
  beforeBatch?(db: Database.Database): void;
  /** Runs inside the batch's transaction, after its inserts, before COMMIT. */
  beforeCommit?(batch: AppendRequest[]): void;
}
