import type { SubjectKeyRows } from '../../src/crypto/subjectKeys.js';

/** Subject key rows in a Map, for the in-memory ports: what an erasure leaves is inspectable (`rows`). */
export class MemorySubjectKeyRows implements SubjectKeyRows {
  readonly rows = new Map<string, string | null>();

  insertOrGet(sub: string, wrapped: string): Promise<string | null> {
    if (!this.rows.has(sub)) this.rows.set(sub, wrapped);
    return Promise.resolve(this.rows.get(sub) ?? null);
  }

  select(subs: readonly string[]): Promise<Map<string, string | null>> {
    const found = new Map<string, string | null>();
    for (const sub of subs) if (this.rows.has(sub)) found.set(sub, this.rows.get(sub) ?? null);
    return Promise.resolve(found);
  }

  tombstone(sub: string): Promise<void> {
    this.rows.set(sub, null);
    return Promise.resolve();
  }

  all(): Promise<Array<[string, string | null]>> {
    return Promise.resolve([...this.rows]);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
