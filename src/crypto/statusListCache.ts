/**
 * Signed Token Status Lists, kept until their list changes: deflating and signing a list costs far
 * more than comparing its bytes, and resource servers fetch lists at their own pace. An entry is
 * reused while its bytes and signing key are those of the list now and at least half of its
 * lifetime is left, so a resource server always receives a list it may use for a while.
 */
export class SignedStatusListCache {
  private readonly entries = new Map<string, { bytes: Uint8Array; kid: string; jwt: string; exp: number }>();
  /** Lists are few (one per issuing instance and period); the bound only guards against surprises. */
  private static readonly MAX_ENTRIES = 1024;

  constructor(private readonly ttlSeconds: number) {}

  /** The signed list for exactly these bytes and key, if one is still fresh enough at `now` (epoch s). */
  get(id: string, bytes: Uint8Array, kid: string, now: number): { jwt: string; exp: number } | undefined {
    const hit = this.entries.get(id);
    if (!hit || hit.kid !== kid || hit.exp - now < this.ttlSeconds / 2) return undefined;
    return Buffer.from(hit.bytes.buffer, hit.bytes.byteOffset, hit.bytes.byteLength).equals(bytes) ? hit : undefined;
  }

  put(id: string, bytes: Uint8Array, kid: string, jwt: string, exp: number): void {
    if (!this.entries.has(id) && this.entries.size >= SignedStatusListCache.MAX_ENTRIES) this.entries.clear();
    this.entries.set(id, { bytes, kid, jwt, exp });
  }

  forget(id: string): void {
    this.entries.delete(id);
  }
}
