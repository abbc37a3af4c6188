/**
 * DPoP proofs (RFC 9449 §4) made by the load generator, as cheaply as a client could: one P-256 key,
 * its protected header serialised once, then per proof a small JSON payload and one node:crypto
 * ES256 signature (ieee-p1363: the JWS form, no DER round trip). Every proof has its own jti.
 */
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';

const b64 = (data: string | Buffer) => Buffer.from(data).toString('base64url');

/** `ath`: the access token's SHA-256, base64url (RFC 9449 §4.2). */
export const accessTokenHash = (token: string) => createHash('sha256').update(token).digest('base64url');

export class DpopKey {
  /** The key's JWK SHA-256 thumbprint (RFC 7638): what a bound token's `cnf.jkt` must say. */
  readonly thumbprint: string;
  private readonly header: string;
  private readonly jtiPrefix = randomBytes(12).toString('base64url');
  private count = 0;

  private constructor(
    private readonly privateKey: KeyObject,
    publicKey: KeyObject,
  ) {
    const { crv, kty, x, y } = publicKey.export({ format: 'jwk' });
    // RFC 7638 §3.2: the required members only, in lexicographic order, no whitespace.
    this.thumbprint = createHash('sha256').update(JSON.stringify({ crv, kty, x, y })).digest('base64url');
    this.header = b64(JSON.stringify({ typ: 'dpop+jwt', alg: 'ES256', jwk: { kty, crv, x, y } }));
  }

  static generate(): DpopKey {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    return new DpopKey(privateKey, publicKey);
  }

  /** A fresh proof for one request; `ath` binds it to the access token sent with it. */
  proof(htm: 'GET' | 'POST', htu: string, ath?: string): string {
    const payload = {
      jti: `${this.jtiPrefix}${(this.count++).toString(36)}`,
      htm,
      htu,
      iat: Math.floor(Date.now() / 1000),
      ...(ath === undefined ? {} : { ath }),
    };
    const input = `${this.header}.${b64(JSON.stringify(payload))}`;
    return `${input}.${sign('sha256', Buffer.from(input), { key: this.privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
  }
}

/**
 * Proofs for one target, signed ahead of a measured run (off its clock, so that signing neither competes
 * with the server for the shared cores nor slows the load) and handed out one per request. Should a
 * run outlast its stock, the rest are signed on the spot and counted. Stocked proofs are seconds old
 * when sent, well within any `iat` window.
 */
export class ProofSupply {
  private stock: string[] = [];
  private next = 0;
  /** Proofs signed since the last `fill` because the stock ran out. */
  signedOnTheSpot = 0;

  constructor(
    private readonly key: DpopKey,
    private readonly htm: 'GET' | 'POST',
    private readonly htu: string,
    private readonly ath?: string,
  ) {}

  /** Replaces the stock with `n` fresh proofs, and starts counting `signedOnTheSpot` anew. */
  fill(n: number): void {
    this.stock = Array.from({ length: n }, () => this.key.proof(this.htm, this.htu, this.ath));
    this.next = 0;
    this.signedOnTheSpot = 0;
  }

  take(): string {
    if (this.next < this.stock.length) return this.stock[this.next++];
    this.signedOnTheSpot++;
    return this.key.proof(this.htm, this.htu, this.ath);
  }
}
