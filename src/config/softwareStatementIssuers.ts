import { createPublicKey, type JsonWebKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError } from './configParsing.js';

/** An issuer whose software statements a registration may present (RFC 7591 §2.3), and its public keys. */
export interface TrustedIssuer {
  iss: string;
  jwks: { keys: JsonWebKey[] };
}

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'];
const KEY_TYPES = ['RSA', 'EC', 'OKP'];

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The issuers of one file, each checked; the first problem is thrown as one line. */
function parseIssuers(doc: unknown, fail: (what: string) => never): TrustedIssuer[] {
  if (!isObject(doc) || !Array.isArray(doc.issuers)) fail('expected {"issuers":[{"iss":"...","jwks":{"keys":[...]}}]}');
  const seen = new Set<string>();
  return doc.issuers.map((entry: unknown, i) => {
    const at = `issuers[${i}]`;
    if (!isObject(entry)) fail(`${at} is not an object`);
    const { iss, jwks } = entry;
    if (typeof iss !== 'string' || iss.length === 0 || iss.length > 2000) fail(`${at}.iss must be a non-empty string`);
    if (seen.has(iss)) fail(`${at}.iss ${iss} is listed twice`);
    seen.add(iss);
    if (!isObject(jwks) || !Array.isArray(jwks.keys) || jwks.keys.length === 0)
      fail(`${at}.jwks must be a JWK Set with at least one key`);
    jwks.keys.forEach((key: unknown, k) => {
      const where = `${at}.jwks.keys[${k}]`;
      if (!isObject(key) || typeof key.kty !== 'string' || !KEY_TYPES.includes(key.kty))
        fail(`${where} must be an RSA, EC or OKP public key (statements are verified with asymmetric keys only)`);
      if (PRIVATE_MEMBERS.some((m) => m in key)) fail(`${where} holds a private key: list public keys only`);
      try {
        createPublicKey({ key: key as JsonWebKey, format: 'jwk' });
      } catch (err) {
        fail(`${where} is not a usable public key (${(err as Error).message})`);
      }
    });
    return { iss, jwks: { keys: jwks.keys as JsonWebKey[] } };
  });
}

/**
 * SOFTWARE_STATEMENT_ISSUERS_FILE, read and checked once at startup: a file that cannot be read or holds anything
 * else than trusted issuers with public keys refuses the start, with one line. No file: no issuer is trusted.
 */
export function loadSoftwareStatementIssuers(file: string | undefined): TrustedIssuer[] {
  if (file === undefined) return [];
  const fail = (what: string): never => {
    throw new ConfigError(`SOFTWARE_STATEMENT_ISSUERS_FILE ${file} is invalid: ${what}`);
  };
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`SOFTWARE_STATEMENT_ISSUERS_FILE ${file} cannot be read: ${(err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    return fail(`not JSON (${(err as Error).message})`);
  }
  return parseIssuers(doc, fail);
}
