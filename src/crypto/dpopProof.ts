import type { IncomingHttpHeaders } from 'node:http';
import { calculateJwkThumbprint, compactVerify, importJWK, type CryptoKey, type JWK } from 'jose';
import { sha256 } from './hash.js';

/**
 * The JWS algorithms a DPoP proof may use (RFC 9449 §4.3 check 5): asymmetric only, never `none`, never HMAC.
 * Discovery advertises exactly this list as dpop_signing_alg_values_supported.
 */
export const DPOP_ALGS: readonly string[] = [
  'ES256',
  'ES384',
  'ES512',
  'PS256',
  'PS384',
  'PS512',
  'RS256',
  'RS384',
  'RS512',
  'EdDSA',
];

/**
 * How far a proof's `iat` may be from now, either way, in seconds: the window node-oidc-provider accepts (5 minutes).
 * It also bounds how long a proof's jti must be remembered.
 */
export const DPOP_IAT_WINDOW_S = 300;

/** A proof is a few hundred bytes; anything this long is refused before it is decoded. */
const MAX_PROOF_LENGTH = 8192;
const MAX_JTI_LENGTH = 256;
/** JWK members only a private (or symmetric) key has (RFC 7518 §6.2.2, §6.3.2, §6.4.1; RFC 8037 §2). */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
/**
 * Imported proof keys by alg and thumbprint (the thumbprint covers exactly the members that define the key): a client
 * proves with the same key request after request, and importing it is the larger part of a verification. Bounded;
 * the oldest entry goes first.
 */
const keyCache = new Map<string, CryptoKey>();
const MAX_CACHED_KEYS = 4096;
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** A refused proof: `invalid_dpop_proof`, or `use_dpop_nonce` when a (fresh) server nonce is what it lacks. */
export class DPoPProofError extends Error {
  override readonly name = 'DPoPProofError';
  constructor(
    readonly code: 'invalid_dpop_proof' | 'use_dpop_nonce',
    message: string,
  ) {
    super(message);
  }
}

const invalid = (why: string) => new DPoPProofError('invalid_dpop_proof', why);

/**
 * The request's one DPoP header (RFC 9449 §4.3 check 1), undefined when there is none. Node joins repeated
 * headers with `, ` (a compact JWS has no comma), and the raw headers tell two headers from one.
 */
export function dpopHeader(headers: IncomingHttpHeaders, rawHeaders: readonly string[]): string | undefined {
  const value = headers.dpop;
  if (value === undefined) return undefined;
  let count = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) if (rawHeaders[i].toLowerCase() === 'dpop') count++;
  if (count > 1 || typeof value !== 'string' || value.includes(','))
    throw invalid('exactly one DPoP header is allowed');
  if (value.length === 0) throw invalid('the DPoP header is empty');
  return value;
}

/** A proof whose structure, header and claim types have been checked, not yet its signature. */
export interface ParsedProof {
  proof: string;
  alg: string;
  jwk: JWK;
  claims: { jti: string; htm: string; htu: string; iat: number; ath?: unknown; nonce?: unknown };
}

function decodeJson(part: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    throw invalid(`the DPoP proof ${what} is not JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw invalid(`the DPoP proof ${what} is not a JSON object`);
  return value as Record<string, unknown>;
}

/**
 * RFC 9449 §4.3 checks 2 to 6 and the claims' presence and types, without any cryptography: size first, so every
 * later step is linear in a bounded input. Cheap enough to run before the client is authenticated.
 */
export function parseProof(proof: string): ParsedProof {
  if (proof.length > MAX_PROOF_LENGTH) throw invalid('the DPoP proof is too long');
  if (!COMPACT_JWS.test(proof)) throw invalid('the DPoP proof is not a compact JWS');
  const [h, p] = proof.split('.');
  const header = decodeJson(h, 'header');
  const typ = typeof header.typ === 'string' ? header.typ.toLowerCase() : undefined;
  if (typ !== 'dpop+jwt' && typ !== 'application/dpop+jwt') throw invalid('the DPoP proof typ must be dpop+jwt');
  if (typeof header.alg !== 'string' || !DPOP_ALGS.includes(header.alg))
    throw invalid(`the DPoP proof alg must be one of ${DPOP_ALGS.join(' ')}`);
  const jwk = header.jwk;
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk) || typeof (jwk as JWK).kty !== 'string')
    throw invalid('the DPoP proof jwk header must be a JSON Web Key');
  if (PRIVATE_MEMBERS.some((m) => m in jwk)) throw invalid('the DPoP proof jwk must be a public key');
  const claims = decodeJson(p, 'payload');
  if (typeof claims.jti !== 'string' || claims.jti.length === 0 || claims.jti.length > MAX_JTI_LENGTH)
    throw invalid('the DPoP proof jti must be a string of 1 to 256 characters');
  if (typeof claims.htm !== 'string') throw invalid('the DPoP proof htm must be a string');
  if (typeof claims.htu !== 'string') throw invalid('the DPoP proof htu must be a string');
  if (typeof claims.iat !== 'number' || !Number.isFinite(claims.iat))
    throw invalid('the DPoP proof iat must be a number');
  return { proof, alg: header.alg, jwk: jwk, claims: claims as ParsedProof['claims'] };
}

/**
 * A URL as htu compares it (RFC 9449 §4.3 check 9): RFC 3986 §6.2.2/§6.2.3 normalisation (scheme and host in lower
 * case, the default port dropped, dot segments removed), without query and fragment. Undefined for no http(s) URL.
 */
export function normalisedHtu(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return undefined;
  parsed.search = '';
  parsed.hash = '';
  return parsed.href;
}

/** Checks a server-issued nonce (./dpopNonce.ts): true when it is one this server accepts now. */
export type NonceCheck = (nonce: string, nowSeconds: number) => boolean;

export interface ProofExpectation {
  /** The request's method. */
  htm: string;
  /** This endpoint's URL as normalisedHtu gives it. */
  htu: string;
  nowSeconds: number;
  /** The access token the request presents (a resource request): its hash must be the proof's `ath`. */
  accessToken?: string;
  /** Set when nonces are required: every proof must carry one that passes. */
  nonce?: NonceCheck;
}

export interface VerifiedProof {
  /** RFC 7638 SHA-256 thumbprint of the proof's key: what a token is bound to (`cnf.jkt`). */
  jkt: string;
  jti: string;
  iat: number;
}

/**
 * The rest of RFC 9449 §4.3 on a parsed proof: htm, htu, iat within DPOP_IAT_WINDOW_S, ath, the nonce when required
 * — all before the one expensive step, the signature with the proof's own key. Whether the jti was used before is the
 * caller's to ask (rememberOnce), once everything here has passed.
 */
export async function verifyProof(parsed: ParsedProof, expect: ProofExpectation): Promise<VerifiedProof> {
  const { claims } = parsed;
  if (claims.htm !== expect.htm) throw invalid('the DPoP proof htm does not match the request method');
  if (normalisedHtu(claims.htu) !== expect.htu) throw invalid('the DPoP proof htu does not match this endpoint');
  if (claims.iat < expect.nowSeconds - DPOP_IAT_WINDOW_S) throw invalid('the DPoP proof iat is too old');
  if (claims.iat > expect.nowSeconds + DPOP_IAT_WINDOW_S) throw invalid('the DPoP proof iat is in the future');
  if (expect.accessToken !== undefined && claims.ath !== sha256(expect.accessToken))
    throw invalid('the DPoP proof ath does not match the access token');
  if (expect.nonce) {
    if (claims.nonce === undefined) throw new DPoPProofError('use_dpop_nonce', 'a DPoP nonce is required');
    if (typeof claims.nonce !== 'string' || !expect.nonce(claims.nonce, expect.nowSeconds))
      throw new DPoPProofError('use_dpop_nonce', 'the DPoP nonce is invalid or has expired');
  }
  let jkt;
  try {
    jkt = await calculateJwkThumbprint(parsed.jwk, 'sha256');
    await compactVerify(parsed.proof, await publicKey(parsed, jkt), { algorithms: [parsed.alg] });
  } catch (err) {
    throw invalid(`the DPoP proof signature does not verify with its jwk: ${(err as Error).message}`);
  }
  return { jkt, jti: claims.jti, iat: claims.iat };
}

async function publicKey(parsed: ParsedProof, jkt: string): Promise<CryptoKey> {
  const id = `${parsed.alg} ${jkt}`;
  const cached = keyCache.get(id);
  if (cached) return cached;
  const key = await importJWK(parsed.jwk, parsed.alg);
  if (key instanceof Uint8Array) throw new Error('a symmetric key');
  if (keyCache.size >= MAX_CACHED_KEYS) keyCache.delete(keyCache.keys().next().value!);
  keyCache.set(id, key);
  return key;
}
