import fc from 'fast-check';
import {
  assertAlive,
  assertGraphQLAnswer,
  assertNoWriteOnRejection,
  assertOAuthAnswer,
  fuzzParameters,
  rawRequest,
  type RawResponse,
} from './fuzz.js';
import type { FuzzFixtures } from './fuzzFixtures.js';
import { describe, mutate, mutations, toRaw, type FuzzRequest, type MutationContext } from './fuzzRequests.js';
import { ledgerHead } from './oauth.js';
import type { TestServer } from './server.js';

/** A valid request built from the live fixtures; `variant` picks among its flavours. */
export type BaseRequest = (fx: FuzzFixtures, variant: number) => Promise<FuzzRequest>;

export interface FuzzTarget {
  server: TestServer;
  fx: FuzzFixtures;
  bases: Record<string, BaseRequest>;
  runs: number;
  /** Mutate the Authorization header too. */
  withAuth?: boolean;
  format?: 'oauth' | 'graphql';
  /** Reuse detection and spent client assertions may write on a rejection (the token endpoint). */
  allowSecurityWrites?: boolean;
  /** Extra checks of one answer. */
  also?: (res: RawResponse, what: string, base: string) => void | Promise<void>;
}

/**
 * The fuzz property of an endpoint: a valid request, mutated, sent as raw bytes; the answer must be
 * no 5xx, carry only registered error codes (or GraphQL's format), and a rejection must not write to
 * the ledger. Fixtures are re-minted whenever the ledger moved, so later runs start valid again.
 * Answers the count of each status seen.
 */
export async function fuzzEndpoint(t: FuzzTarget): Promise<string> {
  const { server, fx } = t;
  const statuses = new Map<number, number>();
  const names = Object.keys(t.bases);
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(...names),
      fc.nat(),
      mutations(t.withAuth ?? true),
      async (name, variant, muts) => {
        const base = await t.bases[name](fx, variant);
        const ctx: MutationContext = {
          client: { id: fx.conf.id, secret: fx.conf.secret },
          other: { id: fx.post.id, secret: fx.post.secret },
          pool: fx.pool(),
        };
        const raw = toRaw(mutate(base, muts, ctx));
        const what = `[${name}/${variant}] ${describe(raw)}`;
        const before = await ledgerHead(server);
        const res = await rawRequest(server, raw);
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        if (t.format === 'graphql') assertGraphQLAnswer(res, what);
        else assertOAuthAnswer(res, what);
        await assertNoWriteOnRejection(server, before, res, what, t.allowSecurityWrites);
        await t.also?.(res, what, name);
        if ((await ledgerHead(server)) !== before) fx.invalidate();
      },
    ),
    fuzzParameters(t.runs),
  );
  await assertAlive(server);
  // How deep the runs got: a fuzzer that only ever sees 400s is testing the first check.
  return [...statuses]
    .sort(([a], [b]) => a - b)
    .map(([s, n]) => `${s}×${n}`)
    .join(' ');
}

const NO_HEADERS: Array<[string, string]> = [];

/** A POST of form parameters, with an Authorization header when given. */
export function post(
  path: string,
  params: Array<[string, string]>,
  authorization?: string,
  headers: Array<[string, string]> = NO_HEADERS,
): FuzzRequest {
  return {
    method: 'POST',
    path,
    params,
    headers: [...(authorization ? [['authorization', authorization] as [string, string]] : []), ...headers],
    encoding: 'form',
  };
}

export function get(path: string, params: Array<[string, string]>, headers: Array<[string, string]> = []): FuzzRequest {
  return { method: 'GET', path, params, headers, encoding: 'none' };
}

export const basicAuth = (id: string, secret: string) => {
  const enc = (s: string) => encodeURIComponent(s).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${enc(id)}:${enc(secret)}`).toString('base64')}`;
};

/** The server and fixtures a fuzz suite runs against, filled in by the suite's `before`. */
export interface FuzzEnv {
  server: TestServer;
  fx: FuzzFixtures;
}
