import type { FastifyInstance, InjectOptions } from 'fastify';
import { loadConfig } from '../../src/config/config.js';
import { startServer } from '../../src/server.js';
import type { Clock } from '../../src/application/ports.js';
import { testServerEnv, type TestServer } from './server.js';

/** What undici's fetch adds to every request unless told otherwise: the routes see the same request either way. */
const FETCH_DEFAULTS: Record<string, string> = {
  accept: '*/*',
  'accept-language': '*',
  'sec-fetch-mode': 'cors',
  'user-agent': 'node',
  'accept-encoding': 'gzip, deflate',
};

const NULL_BODY = new Set([101, 204, 205, 304]);

/** The body as bytes, and the content type fetch would give it when the caller names none. */
function requestBody(body: RequestInit['body']): { payload?: string | Buffer; type?: string } {
  if (body === undefined || body === null) return {};
  if (typeof body === 'string') return { payload: body, type: 'text/plain;charset=UTF-8' };
  if (body instanceof URLSearchParams) {
    return { payload: body.toString(), type: 'application/x-www-form-urlencoded;charset=UTF-8' };
  }
  if (body instanceof ArrayBuffer) return { payload: Buffer.from(body) };
  if (ArrayBuffer.isView(body)) return { payload: Buffer.from(body.buffer, body.byteOffset, body.byteLength) };
  throw new Error('injectFetch: only string, URLSearchParams and byte bodies are supported');
}

/**
 * `fetch` answered by `app.inject()`: no socket, the same status, headers and body. Redirects are followed as fetch
 * follows them (unless `redirect: 'manual'`), but only within the server; leaving it fails as a network error would.
 */
function injectFetch(app: FastifyInstance, origin: string): typeof fetch {
  const one = async (url: URL, init: RequestInit): Promise<Response> => {
    if (url.origin !== origin) throw new TypeError(`fetch failed: ${url.origin} is not the injected server`);
    const method = (init.method ?? 'GET').toUpperCase();
    const headers = new Headers(init.headers);
    for (const [name, value] of Object.entries(FETCH_DEFAULTS)) if (!headers.has(name)) headers.set(name, value);
    headers.set('host', url.host);
    const { payload, type } = requestBody(init.body);
    if (type && !headers.has('content-type')) headers.set('content-type', type);
    const res = await app.inject({
      method: method as InjectOptions['method'],
      url: `${url.pathname}${url.search}`,
      headers: Object.fromEntries(headers),
      payload,
    });
    const out = new Headers();
    for (const [name, value] of Object.entries(res.headers)) {
      if (value === undefined) continue;
      for (const v of Array.isArray(value) ? value : [value]) out.append(name, String(v));
    }
    const empty = NULL_BODY.has(res.statusCode) || method === 'HEAD';
    return new Response(empty ? null : new Uint8Array(res.rawPayload), {
      status: res.statusCode,
      statusText: res.statusMessage,
      headers: out,
    });
  };
  return async (input, init = {}) => {
    let url = new URL(input instanceof Request ? input.url : String(input), origin);
    let current = init;
    for (let hop = 0; hop <= 20; hop++) {
      const res = await one(url, current);
      const location = res.headers.get('location');
      if (init.redirect === 'manual' || res.status < 300 || res.status > 399 || !location) return res;
      if (init.redirect === 'error') throw new TypeError('fetch failed: redirect');
      url = new URL(location, url);
      // Fetch turns a 303 (and a POST's 301/302) into a GET without a body.
      const toGet = res.status === 303 || ((res.status === 301 || res.status === 302) && current.method === 'POST');
      if (toGet) current = { ...current, method: 'GET', body: undefined };
    }
    throw new TypeError('fetch failed: redirect count exceeded');
  };
}

export interface InjectServer extends TestServer {
  /** Fastify's light-my-request: a request straight into the router. */
  inject: FastifyInstance['inject'];
}

/**
 * The same app, ledger and configuration as startTestServer, but not listening: `fetch` and `inject` answer from the
 * router. For route behaviour where a socket adds nothing; what crosses the wire stays on startTestServer.
 */
export async function startInjectServer(
  opts: { dataDir?: string; env?: Record<string, string>; clock?: Clock } = {},
): Promise<InjectServer> {
  // The issuer names a port nothing listens on: a request that escapes the injector fails loudly.
  const { dataDir, env } = await testServerEnv(opts);
  const server = await startServer(loadConfig(env), { logger: false, listen: false, clock: opts.clock });
  await server.ready;
  return {
    ...server,
    dataDir,
    env,
    inject: server.app.inject.bind(server.app),
    fetch: injectFetch(server.app, server.url),
  };
}

/**
 * Puts the injected server on its issuer's loopback port, for the one test of a file that sends bytes no injector
 * would (light-my-request parses the URL first): `server.url` then reaches it over a socket too.
 */
export async function listenOnIssuerPort(server: InjectServer): Promise<void> {
  const { hostname, port } = new URL(server.url);
  await server.app.listen({ host: hostname, port: Number(port) });
}
