/**
 * token-ledger offline proof verifier: checks an inclusion proof (`token-ledger prove --event`) or a consistency proof
 * (`token-ledger prove --from-seal A --to-seal B`) with nothing but the ledger's published seal keys (the JWKS of
 * `GET /.well-known/ledger-seal-keys` or `token-ledger seals key`). WebCrypto only: runs in a browser, in Node ≥ 20
 * and in Deno; no dependencies, no network.
 *
 *   import { verifyInclusionProof } from 'https://auth.example/sdk/ledger-proof.js';
 *   const result = await verifyInclusionProof(proof, jwks);
 *   if (!result.ok) throw new Error(result.reason);
 *
 * The tree is RFC 9162 §2.1 (Certificate Transparency): leaf i is the i-th event of the ledger in position order,
 * its input the 32 bytes of the event's `hash`, which covers the event's stored content and its stream's previous
 * hash. A seal is a JWS (ES256) over {treeSize, rootHash, sealedAt}.
 */

/** A LedgerSealed event's data, as `prove` prints it. */
export interface Seal {
  treeSize: number;
  /** base64url of the 32-byte root. */
  rootHash: string;
  sealedAt: string;
  kid: string;
  /** Compact JWS, ES256, payload {treeSize, rootHash, sealedAt}. */
  jws: string;
}

/** An event as stored, with its integrity metadata. */
export interface ProvenEvent {
  id: string;
  stream: string;
  revision: number;
  type: string;
  data: unknown;
  metadata: { prevHash: string; hash: string } & Record<string, unknown>;
}

export interface InclusionProof {
  format: 'token-ledger-inclusion-proof/1';
  event: ProvenEvent;
  leafIndex: number;
  treeSize: number;
  /** base64url hashes, from the leaf's sibling up to the root's child. */
  auditPath: string[];
  seal: Seal;
}

export interface ConsistencyProof {
  format: 'token-ledger-consistency-proof/1';
  from: Seal;
  to: Seal;
  /** base64url hashes, RFC 9162 §2.1.4. */
  path: string[];
}

export interface Jwks {
  keys: Array<{ kid?: string; kty: string } & Record<string, unknown>>;
}

export type ProofResult = { ok: true; treeSize: number; rootHash: string } | { ok: false; reason: string };

const subtle = (): SubtleCrypto => globalThis.crypto.subtle;

function b64urlDecode(text: string): Uint8Array {
  if (typeof text !== 'string' || !/^[A-Za-z0-9_-]*$/.test(text)) throw new Error('not base64url');
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((text.length + 3) % 4);
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function b64urlEncode(bytes: Uint8Array): string {
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

async function sha256(...parts: Uint8Array[]): Promise<Uint8Array> {
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  return new Uint8Array(await subtle().digest('SHA-256', all));
}

const LEAF = new Uint8Array([0]);
const NODE = new Uint8Array([1]);
const node = (left: Uint8Array, right: Uint8Array) => sha256(NODE, left, right);

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

class Refused extends Error {}
const refuse = (reason: string): never => {
  throw new Refused(reason);
};

const isSize = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;

function hashes(list: unknown, what: string): Uint8Array[] {
  if (!Array.isArray(list)) return refuse(`${what} is not a list of hashes`);
  return list.map((h, i) => {
    let bytes: Uint8Array;
    try {
      bytes = b64urlDecode(h as string);
    } catch {
      return refuse(`${what}[${i}] is not base64url`);
    }
    return bytes.length === 32 ? bytes : refuse(`${what}[${i}] is not a 32-byte hash`);
  });
}

/** The event's chain hash recomputed from its content (src/eventsourcing/integrity.ts, the same text). */
async function eventHash(e: ProvenEvent): Promise<string> {
  const { prevHash, hash: _hash, ...rest } = e.metadata;
  const text =
    `${e.id}\n${e.stream}\n${e.revision}\n${e.type}\n` +
    `${JSON.stringify(e.data)}\n${JSON.stringify(rest)}\n${prevHash}`;
  return b64urlEncode(await sha256(new TextEncoder().encode(text)));
}

/** Checks the seal's JWS with the key its kid names in `jwks`, and that the seal says what its JWS says. */
async function checkSeal(seal: Seal, jwks: Jwks, which: string): Promise<Uint8Array> {
  if (!seal || typeof seal !== 'object') return refuse(`${which} seal is missing`);
  const parts = typeof seal.jws === 'string' ? seal.jws.split('.') : [];
  if (parts.length !== 3) return refuse(`${which} seal's jws is not a compact JWS`);
  let header: { alg?: string; kid?: string };
  let payload: { treeSize?: unknown; rootHash?: unknown; sealedAt?: unknown };
  try {
    header = JSON.parse(new TextDecoder().decode(b64urlDecode(parts[0]))) as typeof header;
    payload = JSON.parse(new TextDecoder().decode(b64urlDecode(parts[1]))) as typeof payload;
  } catch {
    return refuse(`${which} seal's jws is not readable`);
  }
  if (header.alg !== 'ES256') return refuse(`${which} seal is signed with ${String(header.alg)}, not ES256`);
  const jwk = (jwks?.keys ?? []).find((k) => k.kid === header.kid);
  if (!jwk) return refuse(`${which} seal is signed by key ${String(header.kid)}, which is not in the given seal keys`);
  let key: CryptoKey;
  try {
    const { kty, crv, x, y } = jwk as Record<string, string>;
    key = await subtle().importKey('jwk', { kty, crv, x, y }, { name: 'ECDSA', namedCurve: 'P-256' }, false, [
      'verify',
    ]);
  } catch {
    return refuse(`seal key ${String(header.kid)} is not a P-256 public key`);
  }
  let signature: Uint8Array;
  try {
    signature = b64urlDecode(parts[2]);
  } catch {
    return refuse(`${which} seal's signature is not base64url`);
  }
  const signed = new TextEncoder().encode(`${parts[0]}.${parts[1]}`);
  const valid = await subtle().verify({ name: 'ECDSA', hash: 'SHA-256' }, key, signature as BufferSource, signed);
  if (!valid) return refuse(`${which} seal's signature does not verify with seal key ${String(header.kid)}`);
  if (payload.treeSize !== seal.treeSize || payload.rootHash !== seal.rootHash || payload.sealedAt !== seal.sealedAt)
    return refuse(`${which} seal's treeSize, rootHash or sealedAt differ from what its JWS signs`);
  if (!isSize(seal.treeSize) || seal.treeSize === 0) return refuse(`${which} seal's treeSize is not a positive size`);
  const [root] = hashes([seal.rootHash], `${which} seal's rootHash`);
  return root;
}

/** Checks one seal alone: its JWS verifies with its key in `jwks` and signs exactly its treeSize, rootHash and time. */
export async function verifySeal(seal: Seal, jwks: Jwks): Promise<ProofResult> {
  try {
    await checkSeal(seal, jwks, 'the');
    return { ok: true, treeSize: seal.treeSize, rootHash: seal.rootHash };
  } catch (err) {
    if (err instanceof Refused) return { ok: false, reason: err.message };
    throw err;
  }
}

/** RFC 9162 §2.1.3.2. */
async function rootFromInclusion(leafHash: Uint8Array, index: number, size: number, path: Uint8Array[]) {
  if (!isSize(index) || !isSize(size) || index >= size)
    return refuse(`leaf index ${index} is not below the tree size ${size}`);
  let fn = index;
  let sn = size - 1;
  let r = leafHash;
  for (const p of path) {
    if (sn === 0) return refuse('the audit path is longer than the tree is deep');
    if (fn % 2 === 1 || fn === sn) {
      r = await node(p, r);
      if (fn % 2 === 0) while (fn % 2 === 0 && fn !== 0) [fn, sn] = [fn / 2, Math.floor(sn / 2)];
    } else {
      r = await node(r, p);
    }
    [fn, sn] = [Math.floor(fn / 2), Math.floor(sn / 2)];
  }
  if (sn !== 0) return refuse('the audit path is shorter than the tree is deep');
  return r;
}

const guarded = async (run: () => Promise<unknown>): Promise<string | null> => {
  try {
    await run();
    return null;
  } catch (err) {
    if (err instanceof Refused) return err.message;
    throw err;
  }
};

/**
 * RFC 9162 §2.1.3.2 alone: null when `path` leads from the leaf hash (SHA-256(0x00 || leaf)) at `index` to `root` in
 * a tree of `size` leaves, else why not. The building block of verifyInclusionProof, for other uses of the tree.
 */
export const checkInclusionPath = (
  leafHash: Uint8Array,
  index: number,
  size: number,
  path: Uint8Array[],
  root: Uint8Array,
): Promise<string | null> =>
  guarded(async () => {
    if (!equal(await rootFromInclusion(leafHash, index, size, path), root))
      refuse('the path does not lead to the root');
  });

/** RFC 9162 §2.1.4.2 alone: null when `path` proves the tree (`second`, root2) extends (`first`, root1). */
export const checkConsistencyPath = (
  first: number,
  second: number,
  root1: Uint8Array,
  root2: Uint8Array,
  path: Uint8Array[],
): Promise<string | null> => guarded(() => checkConsistency(first, second, root1, root2, path));

/**
 * Checks that `proof.event` is the leaf `proof.leafIndex` of the tree its seal signs: the event's hash recomputed from
 * its content, the audit path up to the sealed root, the seal's signature with a key of `jwks`.
 */
export async function verifyInclusionProof(proof: InclusionProof, jwks: Jwks): Promise<ProofResult> {
  try {
    if (!proof || proof.format !== 'token-ledger-inclusion-proof/1') refuse('not a token-ledger inclusion proof');
    const root = await checkSeal(proof.seal, jwks, 'the');
    if (proof.treeSize !== proof.seal.treeSize)
      refuse(`the proof is for a tree of ${String(proof.treeSize)} leaves but the seal signs ${proof.seal.treeSize}`);
    if (!isSize(proof.leafIndex)) refuse('leafIndex is not a leaf index');
    const e = proof.event;
    if (!e || typeof e !== 'object' || !e.metadata || typeof e.metadata.hash !== 'string')
      refuse('the event or its hash is missing');
    if ((await eventHash(e)) !== e.metadata.hash) refuse("the event's content does not match its hash");
    const [leaf] = hashes([e.metadata.hash], "the event's hash");
    const computed = await rootFromInclusion(
      await sha256(LEAF, leaf),
      proof.leafIndex,
      proof.treeSize,
      hashes(proof.auditPath, 'auditPath'),
    );
    if (!equal(computed, root))
      refuse(`the audit path does not lead to the sealed root: wrong event, index, size or path`);
    return { ok: true, treeSize: proof.seal.treeSize, rootHash: proof.seal.rootHash };
  } catch (err) {
    if (err instanceof Refused) return { ok: false, reason: err.message };
    throw err;
  }
}

/** RFC 9162 §2.1.4.2. */
async function checkConsistency(
  first: number,
  second: number,
  firstRoot: Uint8Array,
  secondRoot: Uint8Array,
  proof: Uint8Array[],
) {
  if (!isSize(first) || !isSize(second) || first === 0) return refuse('the tree sizes are not positive sizes');
  if (first > second) return refuse(`the first seal (${first} leaves) is larger than the second (${second})`);
  if (first === second) {
    if (proof.length !== 0) return refuse('a proof between equal sizes must be empty');
    if (!equal(firstRoot, secondRoot)) return refuse('two seals of the same size sign different roots');
    return;
  }
  if (proof.length === 0) return refuse('the consistency path is empty');
  const path = (first & (first - 1)) === 0 ? [firstRoot, ...proof] : proof;
  let fn = first - 1;
  let sn = second - 1;
  while (fn % 2 === 1) [fn, sn] = [(fn - 1) / 2, Math.floor(sn / 2)];
  let fr = path[0];
  let sr = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0) return refuse('the consistency path is longer than needed');
    if (fn % 2 === 1 || fn === sn) {
      fr = await node(c, fr);
      sr = await node(c, sr);
      if (fn % 2 === 0) while (fn % 2 === 0 && fn !== 0) [fn, sn] = [fn / 2, Math.floor(sn / 2)];
    } else {
      sr = await node(sr, c);
    }
    [fn, sn] = [Math.floor(fn / 2), Math.floor(sn / 2)];
  }
  if (sn !== 0) return refuse('the consistency path is shorter than needed');
  if (!equal(fr, firstRoot)) return refuse("the path does not lead to the first seal's root");
  if (!equal(sr, secondRoot)) return refuse("the path does not lead to the second seal's root: history was rewritten");
}

/** Checks that the ledger the second seal signs extends the one the first seal signs, both seals with `jwks`. */
export async function verifyConsistencyProof(proof: ConsistencyProof, jwks: Jwks): Promise<ProofResult> {
  try {
    if (!proof || proof.format !== 'token-ledger-consistency-proof/1') refuse('not a token-ledger consistency proof');
    const from = await checkSeal(proof.from, jwks, 'the first');
    const to = await checkSeal(proof.to, jwks, 'the second');
    await checkConsistency(proof.from.treeSize, proof.to.treeSize, from, to, hashes(proof.path, 'path'));
    return { ok: true, treeSize: proof.to.treeSize, rootHash: proof.to.rootHash };
  } catch (err) {
    if (err instanceof Refused) return { ok: false, reason: err.message };
    throw err;
  }
}
