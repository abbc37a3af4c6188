import { hash } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import { forbiddenAddress } from './addressRanges.js';
import { clientIdUrl } from './clientIdUrl.js';
import { guardedLookup, systemResolve, type Resolve } from './guardedLookup.js';
import { MetadataDocumentRefused } from './metadataDocumentRefused.js';

/** A document as fetched: its bytes' SHA-256 (base64url), its JSON object, and how long it may be cached. */
export interface FetchedDocument {
  sha256: string;
  document: Record<string, unknown>;
  cacheControl: string | undefined;
}

export interface FetcherOptions {
  /** CLIENT_ID_METADATA_DOCUMENTS_ALLOW_HTTP_LOOPBACK: http://127.0.0.1 documents, for development only. */
  allowLoopbackHttp: boolean;
  /** Until the TCP connection is up. */
  connectTimeoutMs?: number;
  /** Until the last byte of the document, whatever the server does (a trickle of bytes included). */
  totalTimeoutMs?: number;
  /** The draft suggests 5 KiB; reading stops beyond it. */
  maxBytes?: number;
  resolve?: Resolve;
}

const DEFAULT_FETCH_LIMITS = { connectTimeoutMs: 2000, totalTimeoutMs: 4000, maxBytes: 5 * 1024 } as const;

/** application/json, with parameters or without; a `+json` type is not what this server asks for. */
const isJson = (contentType: string | undefined) =>
  contentType !== undefined && contentType.split(';', 1)[0].trim().toLowerCase() === 'application/json';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Fetches a client ID metadata document: GET, one connection of its own, no redirect followed, 200 and
 * application/json only, at most `maxBytes`, within the timeouts, and never from a private, loopback, link-local,
 * unique-local or unspecified address (checked on the address connected to). Throws MetadataDocumentRefused.
 */
export function fetchMetadataDocument(raw: string, options: FetcherOptions): Promise<FetchedDocument> {
  const { url, loopbackHttp } = clientIdUrl(raw, options);
  const { connectTimeoutMs, totalTimeoutMs, maxBytes } = { ...DEFAULT_FETCH_LIMITS, ...options };
  const transport = url.protocol === 'https:' ? https : http;
  return new Promise<FetchedDocument>((resolve, reject) => {
    let settled = false;
    const finish = (err: MetadataDocumentRefused | null, value?: FetchedDocument) => {
      if (settled) return;
      settled = true;
      clearTimeout(connectTimer);
      clearTimeout(totalTimer);
      if (err) {
        request.destroy();
        reject(err);
      } else resolve(value!);
    };
    const fail = (why: string, cause?: unknown) => finish(new MetadataDocumentRefused(why, cause));
    const request = transport.request(url, {
      method: 'GET',
      headers: { accept: 'application/json', 'accept-encoding': 'identity', 'user-agent': 'token-ledger' },
      // A connection of its own: a pooled socket would skip the address checks below.
      agent: false,
      lookup: guardedLookup(options.resolve ?? systemResolve, (why, cause) => new MetadataDocumentRefused(why, cause)),
    });
    const connectTimer = setTimeout(() => fail(`no connection within ${connectTimeoutMs} ms`), connectTimeoutMs);
    const totalTimer = setTimeout(() => fail(`no complete answer within ${totalTimeoutMs} ms`), totalTimeoutMs);
    request.on('socket', (socket: Socket) => {
      // An IP literal host takes no lookup: the address actually connected to is checked in every case.
      socket.once('connect', () => {
        clearTimeout(connectTimer);
        const address = socket.remoteAddress ?? '';
        const allowed = loopbackHttp && address === '127.0.0.1';
        const why = allowed ? undefined : forbiddenAddress(address);
        if (why) fail(`the server is at a ${why} address (${address})`);
      });
    });
    request.on('error', (err: NodeJS.ErrnoException) => {
      if (err instanceof MetadataDocumentRefused) finish(err);
      else fail(`the fetch failed (${err.code ?? err.message})`, err);
    });
    request.on('response', (response) => {
      const status = response.statusCode ?? 0;
      if (status >= 300 && status < 400)
        return fail(`the server answered ${status}, a redirect, which is not followed`);
      if (status !== 200) return fail(`the server answered ${status}, not 200`);
      const type = response.headers['content-type'];
      if (!isJson(type)) return fail(`the content type is ${type ?? 'missing'}, not application/json`);
      const encoding = response.headers['content-encoding'];
      if (encoding !== undefined && encoding !== 'identity') return fail(`the content is encoded (${encoding})`);
      const tooLarge = () => fail(`the document is larger than ${maxBytes} bytes`);
      if (Number(response.headers['content-length'] ?? 0) > maxBytes) return tooLarge();
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBytes) tooLarge();
        else chunks.push(chunk);
      });
      response.on('error', (err) => fail('the answer was cut off', err));
      response.on('end', () => {
        if (settled) return;
        const body = Buffer.concat(chunks);
        let document: unknown;
        try {
          document = JSON.parse(utf8.decode(body));
        } catch (err) {
          return fail('the document is not valid JSON', err);
        }
        if (typeof document !== 'object' || document === null || Array.isArray(document))
          return fail('the document is not a JSON object');
        finish(null, {
          sha256: hash('sha256', body, 'base64url'),
          document: document as Record<string, unknown>,
          cacheControl: response.headers['cache-control'],
        });
      });
    });
    request.end();
  });
}
