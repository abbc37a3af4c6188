import http from 'node:http';
import https from 'node:https';
import { isIP, type Socket } from 'node:net';
import { forbiddenAddress } from './addressRanges.js';
import { guardedLookup, systemResolve, type Resolve } from './guardedLookup.js';

interface PublicPostOptions {
  /** Until the answer's status, whatever the server does. */
  timeoutMs: number;
  resolve?: Resolve;
}

/** A delivery the address rules stopped, told apart from a network failure by its message. */
class AddressRefused extends Error {}

const refusal = (why: string) => `refused: ${why}; only public addresses are posted to for a self-registered client`;

/** The address an IP-literal host names (brackets off), or undefined for a name. */
function literalAddress(url: URL): string | undefined {
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return isIP(host) ? host : undefined;
}

/**
 * POSTs a form to a URL that someone other than the operators chose (a self-registered client's endpoint), and only to
 * a public address: an IP literal is checked before connecting, a name is resolved once with every address checked
 * (no DNS rebinding), and the address actually connected to is checked again. One connection of its own, no redirect
 * followed. Resolves null on a 2xx answer, else why not; it never throws.
 */
export function postFormToPublicAddress(raw: string, form: string, options: PublicPostOptions): Promise<string | null> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return Promise.resolve('not an absolute URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return Promise.resolve(`${url.protocol} is not http(s)`);
  const literal = literalAddress(url);
  const literalWhy = literal === undefined ? undefined : forbiddenAddress(literal);
  if (literalWhy) return Promise.resolve(refusal(`${literal} is not a public address (${literalWhy})`));
  const transport = url.protocol === 'https:' ? https : http;
  return new Promise((resolve) => {
    let settled = false;
    const finish = (outcome: string | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      request.destroy();
      resolve(outcome);
    };
    const request = transport.request(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'content-length': Buffer.byteLength(form),
        'user-agent': 'token-ledger',
      },
      // A connection of its own: a pooled socket would skip the address checks.
      agent: false,
      lookup: guardedLookup(options.resolve ?? systemResolve, (why) => new AddressRefused(why)),
    });
    const timer = setTimeout(() => finish(`no answer within ${options.timeoutMs} ms`), options.timeoutMs);
    request.on('socket', (socket: Socket) => {
      // Runs before the request is written to the socket: a refused address never sees it.
      socket.once('connect', () => {
        const address = socket.remoteAddress ?? '';
        const why = forbiddenAddress(address);
        if (why) finish(refusal(`the server is at a ${why} address (${address})`));
      });
    });
    request.on('error', (err: NodeJS.ErrnoException) =>
      finish(err instanceof AddressRefused ? refusal(err.message) : (err.code ?? err.message)),
    );
    request.on('response', (response) => {
      const status = response.statusCode ?? 0;
      if (status >= 200 && status < 300) return finish(null);
      finish(status >= 300 && status < 400 ? `HTTP ${status}, a redirect, which is not followed` : `HTTP ${status}`);
    });
    request.end(form);
  });
}
