import fc from 'fast-check';
import type { RawRequest } from './fuzz.js';

/**
 * A request the fuzzer builds: a valid request (from live fixtures) and then mutations of it, so that
 * most inputs get past the first check and into the handler. Values are strings, or `raw` bytes put
 * into the query or form body as they are (broken percent-encoding, invalid UTF-8).
 */
export type Value = string | { raw: string } | { bytes: number[] };
export type Pair = [string, Value];

export type Encoding =
  | 'form'
  | 'form-charset'
  | 'form-uppercase'
  | 'form-no-type'
  | 'json'
  | 'json-as-form'
  | 'multipart'
  | 'text'
  | 'octet'
  | 'garbage-type'
  | 'empty'
  | 'none';

export interface FuzzRequest {
  method: 'GET' | 'POST';
  path: string;
  /** Query parameters for GET, form parameters for POST. */
  params: Pair[];
  /** Query parameters a POST carries as well. */
  query?: Pair[];
  headers: Array<[string, string | Buffer]>;
  encoding: Encoding;
  chunked?: number;
}

export type Mutation =
  | { op: 'drop'; at: number }
  | { op: 'empty'; at: number }
  | { op: 'repeat'; at: number; value: Value | null }
  | { op: 'replace'; at: number; value: Value }
  | { op: 'add'; name: string; value: Value }
  | { op: 'rename'; at: number; name: string }
  | { op: 'long'; at: number; length: number }
  | { op: 'flip'; at: number; pos: number }
  | { op: 'swap'; at: number; pick: number }
  | { op: 'toQuery'; at: number }
  | { op: 'encoding'; encoding: Encoding }
  | { op: 'chunked'; pieces: number }
  | { op: 'authorization'; value: AuthValue | null }
  | { op: 'header'; name: string; value: string | Buffer }
  | { op: 'dropHeader'; at: number }
  | { op: 'hugeBody' };

/**
 * An Authorization header: built from the live client credentials when `id` or `secret` is `'client'` (or
 * `'other'`, the second client's); a bearer `token` of `'pick'` takes an issued token by `pick`.
 */
export type AuthValue =
  | { kind: 'basic'; id: Value; secret: Value; encode: boolean }
  | { kind: 'basicBytes'; bytes: number[] }
  | { kind: 'literal'; value: string | Buffer }
  | { kind: 'bearer'; token: string; pick: number }
  | { kind: 'twice'; first: AuthValue; second: AuthValue };

const JUNK_PERCENT = [
  '%',
  '%Z',
  '%ZZ',
  '%2',
  '%C3%28',
  '%FF%FE',
  '%ED%A0%80',
  '%F0%28%8C%BC',
  '%00',
  '%E2%80%A8',
  '%u0041',
  '%%',
  '%25%',
  '&',
  '=',
  '==',
  '+',
  ';',
  '&&=&',
  '%0D%0A',
];
const INVALID_UTF8 = [
  [0xff],
  [0xc3, 0x28],
  [0xe2, 0x28, 0xa1],
  [0xed, 0xa0, 0x80],
  [0xf0, 0x28, 0x8c, 0xbc],
  [0xc0, 0xaf],
  [0x00],
  [0xfe, 0xff],
  [0x80],
];
const TRICKY = [
  '',
  ' ',
  '\0',
  'a\0b',
  '\u0000\u0000',
  '\t',
  '\r\n',
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  'null',
  'undefined',
  'true',
  '0',
  '-1',
  '1e309',
  '9007199254740993',
  '[]',
  '{}',
  '[object Object]',
  '\ud800',
  '\udfff\ud800',
  '😀',
  '\u2028\u2029',
  '\u202e',
  '../..',
  '<script>alert(1)</script>',
  "' OR 1=1 --",
  '"',
  '\\',
  'https://evil.example/cb',
  'javascript:alert(1)',
  'http://127.0.0.1:9/cb',
  'openid',
  'openid profile email',
  'openid offline_access',
  'ledger:admin',
  'orders:read orders:write',
  'S256',
  'plain',
  'code',
  'code id_token',
  'token',
  'none',
  'login consent',
  'none login',
  'query',
  'form_post',
  'web_message',
  'fragment',
  'client_credentials',
  'authorization_code',
  'refresh_token',
  'password',
  'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
  'urn:ietf:params:oauth:grant-type:jwt-bearer',
  'eyJhbGciOiJub25lIn0.e30.',
  'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.',
  'a.b.c',
  'a.b.c.d.e',
  '....',
  'x'.repeat(43),
  'x'.repeat(129),
  'access_token',
  'refresh_token',
  'https://api.example',
  'urn:x',
  'https://api.example#frag',
];

/** A value an attacker might send: tricky constants, arbitrary text, broken encodings, raw bytes. */
export const adversarialValue: fc.Arbitrary<Value> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...TRICKY) },
  { weight: 2, arbitrary: fc.string({ maxLength: 24 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.string({ maxLength: 6 }), fc.constantFrom(...JUNK_PERCENT), fc.string({ maxLength: 6 }))
      .map(([a, j, b]) => ({ raw: `${encodeURIComponent(a)}${j}${encodeURIComponent(b)}` })),
  },
  { weight: 1, arbitrary: fc.constantFrom(...INVALID_UTF8).map((bytes) => ({ bytes })) },
);

const PARAM_NAMES = [
  'grant_type',
  'client_id',
  'client_secret',
  'client_assertion',
  'client_assertion_type',
  'scope',
  'resource',
  'code',
  'redirect_uri',
  'code_verifier',
  'refresh_token',
  'token',
  'token_type_hint',
  'access_token',
  'response_type',
  'response_mode',
  'state',
  'nonce',
  'prompt',
  'max_age',
  'code_challenge',
  'code_challenge_method',
  'request',
  'request_uri',
  'login_hint',
  'id_token_hint',
  'post_logout_redirect_uri',
  'web_message_uri',
  'web_message_target',
  'interaction',
  'csrf',
  'username',
  'password',
  'decision',
  '__proto__',
  'constructor',
  'scope[]',
  'a[b]',
  '',
  'x',
];

const paramName: fc.Arbitrary<string> = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(...PARAM_NAMES) },
  { weight: 1, arbitrary: fc.string({ maxLength: 10 }) },
);

const ENCODINGS: Encoding[] = [
  'form',
  'form-charset',
  'form-uppercase',
  'form-no-type',
  'json',
  'json-as-form',
  'multipart',
  'text',
  'octet',
  'garbage-type',
  'empty',
  'none',
];

const authValue: fc.Arbitrary<AuthValue> = fc.letrec<{ auth: AuthValue }>((tie) => ({
  auth: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.record({
      kind: fc.constant('basic' as const),
      id: fc.oneof(fc.constantFrom('client' as const, 'other' as const), adversarialValue),
      secret: fc.oneof(fc.constantFrom('client' as const, 'other' as const), adversarialValue),
      encode: fc.boolean(),
    }),
    fc.record({
      kind: fc.constant('basicBytes' as const),
      bytes: fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 24 }),
    }),
    fc.record({
      kind: fc.constant('literal' as const),
      value: fc.oneof(
        fc.constantFrom(
          'Basic',
          'Basic ',
          'Basic !!!!',
          'Basic ====',
          'Basic a',
          'Basic YQ',
          'Basic YTpi=',
          'Basic Og==',
          'Basic JVpaOiVaWg==',
          'basic   YTpi',
          'BASIC YTpi',
          'Basic YTpi, Bearer abc',
          'Bearer abc, Basic YTpi',
          'Bearer',
          'Bearer ',
          'Bearer a b',
          'Bearer ====',
          'bearer x',
          'Digest username="a", realm="b"',
          'Negotiate YTpi',
          'DPoP eyJ.x.y',
          'Basic\tYTpi',
          'x'.repeat(8000),
          `Basic ${'A'.repeat(8000)}`,
        ),
        fc.string({ maxLength: 30 }).map((s) => `Basic ${s}`),
        fc.string({ maxLength: 30 }).map((s) => `Bearer ${s}`),
        fc.string({ maxLength: 30 }),
        fc.constantFrom(...INVALID_UTF8).map((b) => Buffer.concat([Buffer.from('Basic '), Buffer.from(b)])),
      ),
    }),
    fc.record({ kind: fc.constant('bearer' as const), token: fc.constant('pick' as const), pick: fc.nat() }),
    fc.record({ kind: fc.constant('twice' as const), first: tie('auth'), second: tie('auth') }),
  ),
})).auth;

const HEADERS: Array<[string, string]> = [
  ['accept', 'application/token-introspection+jwt'],
  ['accept', 'application/jwt, */*'],
  ['origin', 'https://evil.example'],
  ['cookie', 'tl_session=x; tl_bind=y'],
  ['cookie', '%%%=%%%; ;; =; tl_session'],
  ['x-forwarded-for', '1.2.3.4, junk'],
  ['content-encoding', 'gzip'],
  ['content-encoding', 'br'],
  ['expect', '100-continue'],
  ['accept-charset', 'utf-7'],
  ['dpop', 'eyJ.x.y'],
  ['x-http-method-override', 'DELETE'],
  ['content-type', 'application/x-www-form-urlencoded, application/json'],
  ['content-type', 'application/x-www-form-urlencoded; charset=utf-16'],
  ['content-type', 'multipart/form-data'],
];

const headerMutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.constantFrom(...HEADERS).map(([name, value]) => ({ op: 'header' as const, name, value })),
  fc
    .tuple(fc.constantFrom('x-junk', 'cookie', 'accept', 'content-type', 'authorization'), fc.string({ maxLength: 40 }))
    .map(([name, value]) => ({ op: 'header' as const, name, value })),
);

/** Mutations of a valid request; `withAuth` adds the Authorization header ones. */
export function mutation(withAuth: boolean): fc.Arbitrary<Mutation> {
  const at = fc.nat({ max: 20 });
  const arbs: Array<fc.WeightedArbitrary<Mutation>> = [
    { weight: 3, arbitrary: fc.record({ op: fc.constant('drop' as const), at }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('empty' as const), at }) },
    {
      weight: 2,
      arbitrary: fc.record({
        op: fc.constant('repeat' as const),
        at,
        value: fc.option(adversarialValue, { nil: null }),
      }),
    },
    { weight: 5, arbitrary: fc.record({ op: fc.constant('replace' as const), at, value: adversarialValue }) },
    { weight: 3, arbitrary: fc.record({ op: fc.constant('add' as const), name: paramName, value: adversarialValue }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('rename' as const), at, name: paramName }) },
    {
      weight: 1,
      arbitrary: fc.record({ op: fc.constant('long' as const), at, length: fc.constantFrom(300, 2000, 9000, 30_000) }),
    },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('flip' as const), at, pos: fc.nat() }) },
    { weight: 4, arbitrary: fc.record({ op: fc.constant('swap' as const), at, pick: fc.nat() }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('toQuery' as const), at }) },
    {
      weight: 2,
      arbitrary: fc.record({ op: fc.constant('encoding' as const), encoding: fc.constantFrom(...ENCODINGS) }),
    },
    {
      weight: 1,
      arbitrary: fc.record({ op: fc.constant('chunked' as const), pieces: fc.integer({ min: 1, max: 7 }) }),
    },
    { weight: 1, arbitrary: headerMutation },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('dropHeader' as const), at }) },
    { weight: 1, arbitrary: fc.constant({ op: 'hugeBody' as const }) },
  ];
  if (withAuth)
    arbs.push({
      weight: 4,
      arbitrary: fc.record({ op: fc.constant('authorization' as const), value: fc.option(authValue, { nil: null }) }),
    });
  return fc.oneof(...arbs);
}

/** Zero to four mutations: zero keeps a valid request, which must succeed or be refused cleanly. */
export const mutations = (withAuth: boolean) => fc.array(mutation(withAuth), { maxLength: 4 });

/** What mutations draw on: the live client credentials and every other fixture value (tokens, codes, ids). */
export interface MutationContext {
  client: { id: string; secret: string };
  other: { id: string; secret: string };
  pool: string[];
}

const text = (v: Value): string =>
  typeof v === 'string' ? v : 'raw' in v ? v.raw : Buffer.from(v.bytes).toString('latin1');

function formEncode(v: Value): Buffer {
  if (typeof v === 'string') return Buffer.from(encodeURIComponent(v).replace(/%20/g, '+'));
  if ('raw' in v) return Buffer.from(v.raw);
  return Buffer.from(v.bytes);
}

/** encodeURIComponent throws on a lone surrogate: send its UTF-8-ish bytes raw instead. */
function safeEncode(v: Value): Buffer {
  try {
    return formEncode(v);
  } catch {
    return Buffer.from(text(v), 'utf8');
  }
}

function basicHeader(id: string, secret: string, encode: boolean): string {
  const enc = (s: string) => {
    try {
      return encode ? encodeURIComponent(s).replace(/%20/g, '+') : s;
    } catch {
      return s;
    }
  };
  return `Basic ${Buffer.from(`${enc(id)}:${enc(secret)}`).toString('base64')}`;
}

function authHeader(a: AuthValue, ctx: MutationContext): Array<string | Buffer> {
  switch (a.kind) {
    case 'basic': {
      const pick = (v: Value, which: 'id' | 'secret') =>
        v === 'client' ? ctx.client[which] : v === 'other' ? ctx.other[which] : text(v);
      return [basicHeader(pick(a.id, 'id'), pick(a.secret, 'secret'), a.encode)];
    }
    case 'basicBytes':
      return [`Basic ${Buffer.from(a.bytes).toString('base64')}`];
    case 'literal':
      return [a.value];
    case 'bearer':
      return [`Bearer ${ctx.pool.length ? ctx.pool[a.pick % ctx.pool.length] : 'x'}`];
    case 'twice':
      return [...authHeader(a.first, ctx), ...authHeader(a.second, ctx)];
  }
}

/** Applies mutations to a valid request; indexes wrap around the parameters present. */
export function mutate(base: FuzzRequest, muts: Mutation[], ctx: MutationContext): FuzzRequest & { huge?: boolean } {
  const req: FuzzRequest & { huge?: boolean } = {
    ...base,
    params: [...base.params],
    query: [...(base.query ?? [])],
    headers: [...base.headers],
  };
  const idx = (at: number) => (req.params.length ? at % req.params.length : -1);
  for (const m of muts) {
    switch (m.op) {
      case 'drop': {
        const i = idx(m.at);
        if (i >= 0) req.params.splice(i, 1);
        break;
      }
      case 'empty': {
        const i = idx(m.at);
        if (i >= 0) req.params[i] = [req.params[i][0], ''];
        break;
      }
      case 'repeat': {
        const i = idx(m.at);
        if (i >= 0) req.params.push([req.params[i][0], m.value ?? req.params[i][1]]);
        break;
      }
      case 'replace': {
        const i = idx(m.at);
        if (i >= 0) req.params[i] = [req.params[i][0], m.value];
        break;
      }
      case 'add':
        req.params.push([m.name, m.value]);
        break;
      case 'rename': {
        const i = idx(m.at);
        if (i >= 0) req.params[i] = [m.name, req.params[i][1]];
        break;
      }
      case 'long': {
        const i = idx(m.at);
        if (i >= 0) {
          const v = text(req.params[i][1]) || 'x';
          req.params[i] = [req.params[i][0], v.repeat(Math.ceil(m.length / v.length)).slice(0, m.length)];
        }
        break;
      }
      case 'flip': {
        const i = idx(m.at);
        if (i >= 0) {
          const v = text(req.params[i][1]);
          if (v.length) {
            const p = m.pos % v.length;
            const c = v[p] === 'A' ? 'B' : 'A';
            req.params[i] = [req.params[i][0], v.slice(0, p) + c + v.slice(p + 1)];
          }
        }
        break;
      }
      case 'swap': {
        const i = idx(m.at);
        if (i >= 0 && ctx.pool.length) req.params[i] = [req.params[i][0], ctx.pool[m.pick % ctx.pool.length]];
        break;
      }
      case 'toQuery': {
        const i = idx(m.at);
        if (i >= 0 && req.method === 'POST') req.query!.push(...req.params.splice(i, 1));
        break;
      }
      case 'encoding':
        if (req.method === 'POST') req.encoding = m.encoding;
        break;
      case 'chunked':
        req.chunked = m.pieces;
        break;
      case 'authorization':
        req.headers = req.headers.filter(([n]) => n.toLowerCase() !== 'authorization');
        if (m.value) for (const v of authHeader(m.value, ctx)) req.headers.push(['authorization', v]);
        break;
      case 'header':
        req.headers.push([m.name, m.value]);
        break;
      case 'dropHeader':
        if (req.headers.length) req.headers.splice(m.at % req.headers.length, 1);
        break;
      case 'hugeBody':
        req.huge = true;
        break;
    }
  }
  return req;
}

function queryString(pairs: Pair[]): Buffer {
  const parts: Buffer[] = [];
  pairs.forEach(([k, v], i) => {
    if (i) parts.push(Buffer.from('&'));
    parts.push(safeEncode(k), Buffer.from('='), safeEncode(v));
  });
  return Buffer.concat(parts);
}

function jsonBody(pairs: Pair[]): Buffer {
  const obj: Record<string, unknown> = {};
  for (const [k, v] of pairs) {
    const s = text(v);
    if (Object.prototype.hasOwnProperty.call(obj, k)) obj[k] = ([] as unknown[]).concat(obj[k], s);
    else Object.defineProperty(obj, k, { value: s, enumerable: true, writable: true, configurable: true });
  }
  return Buffer.from(JSON.stringify(obj));
}

function multipartBody(pairs: Pair[], boundary: string): Buffer {
  const parts: Buffer[] = [];
  for (const [k, v] of pairs) {
    parts.push(
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${text(k).replace(/"/g, '')}"\r\n\r\n`),
      Buffer.from(text(v)),
      Buffer.from('\r\n'),
    );
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return Buffer.concat(parts);
}

const FORM = 'application/x-www-form-urlencoded';

/** The bytes on the wire: request target, headers and body for the encoding chosen. */
export function toRaw(req: FuzzRequest & { huge?: boolean }): RawRequest {
  const headers = [...req.headers];
  let query = req.method === 'GET' ? req.params : (req.query ?? []);
  let body: Buffer | undefined;
  let type: string | undefined;
  if (req.method === 'POST') {
    const form = queryString(req.params);
    switch (req.encoding) {
      case 'form':
        [body, type] = [form, FORM];
        break;
      case 'form-charset':
        [body, type] = [form, `${FORM}; charset=ISO-8859-1`];
        break;
      case 'form-uppercase':
        [body, type] = [form, FORM.toUpperCase()];
        break;
      case 'form-no-type':
        body = form;
        break;
      case 'json':
        [body, type] = [jsonBody(req.params), 'application/json'];
        break;
      case 'json-as-form':
        [body, type] = [jsonBody(req.params), FORM];
        break;
      case 'multipart':
        [body, type] = [multipartBody(req.params, 'fuzzboundary'), 'multipart/form-data; boundary=fuzzboundary'];
        break;
      case 'text':
        [body, type] = [form, 'text/plain'];
        break;
      case 'octet':
        [body, type] = [form, 'application/octet-stream'];
        break;
      case 'garbage-type':
        [body, type] = [form, 'x/y; ;;=; charset'];
        break;
      case 'empty':
        [body, type] = [Buffer.alloc(0), FORM];
        break;
      case 'none':
        body = undefined;
        break;
    }
    if (req.huge && body !== undefined)
      body = Buffer.concat([body, Buffer.from('&pad='), Buffer.alloc(80 * 1024, 'a')]);
  } else if (req.huge) {
    query = [...query, ['pad', 'a'.repeat(20 * 1024)]];
  }
  if (type && !headers.some(([n]) => n.toLowerCase() === 'content-type')) headers.unshift(['content-type', type]);
  const qs = queryString(query);
  const target = qs.length ? Buffer.concat([Buffer.from(`${req.path}?`), qs]) : Buffer.from(req.path);
  return { method: req.method, target, headers, body, chunked: req.chunked };
}

/** A request as a reader needs it in a failure message (secrets are test fixtures, safe to print). */
export function describe(raw: RawRequest): string {
  const head = `${raw.method} ${raw.target.toString('latin1').slice(0, 400)}`;
  const headers = raw.headers.map(([n, v]) => `${n}: ${v.toString('latin1').slice(0, 200)}`).join('\n');
  const body = raw.body ? raw.body.toString('latin1').slice(0, 600) : '(no body)';
  return `${head}\n${headers}${raw.chunked ? `\n(chunked in ${raw.chunked})` : ''}\n\n${JSON.stringify(body)}`;
}
