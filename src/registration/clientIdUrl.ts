import { isIP } from 'node:net';
import { forbiddenAddress } from './addressRanges.js';
import { MetadataDocumentRefused } from './metadataDocumentRefused.js';

/** The longest client_id URL: the ledger's ClientId pattern admits URLs up to this. */
const MAX_CLIENT_ID_URL_LENGTH = 2000;

interface ClientIdUrlOptions {
  /** CLIENT_ID_METADATA_DOCUMENTS_ALLOW_HTTP_LOOPBACK: http://127.0.0.1 URLs, for development only. */
  allowLoopbackHttp: boolean;
}

/** A client_id that names a metadata document rather than a registered client (before its rules are checked). */
export const isClientIdUrl = (clientId: string): boolean => /^https?:\/\//i.test(clientId);

const refuse = (why: string): never => {
  throw new MetadataDocumentRefused(why);
};

/**
 * The URL a client_id names, by the rules of draft-ietf-oauth-client-id-metadata-document §3: https, with a path,
 * without fragment, credentials or dot segments. It must also be written exactly as the URL parser writes it (lower
 * case host, no default port, escapes where needed): client ids compare as strings, so one document has one id.
 * `loopbackHttp` is the development exception, the one case where http and a loopback address are allowed.
 */
export function clientIdUrl(raw: string, options: ClientIdUrlOptions): { url: URL; loopbackHttp: boolean } {
  if (raw.length > MAX_CLIENT_ID_URL_LENGTH) refuse(`the URL is longer than ${MAX_CLIENT_ID_URL_LENGTH} characters`);
  if (/[^\x21-\x7e]|\\/.test(raw)) refuse('the URL has a space, a control, a backslash or a non-ASCII character');
  if (raw.includes('#')) refuse('the URL has a fragment');
  const url = URL.canParse(raw) ? new URL(raw) : refuse('the client_id is not a URL');
  const loopbackHttp = options.allowLoopbackHttp && url.protocol === 'http:' && url.hostname === '127.0.0.1';
  if (url.protocol !== 'https:' && !loopbackHttp) {
    refuse(
      options.allowLoopbackHttp
        ? 'the URL must use https (http only on 127.0.0.1 in development)'
        : 'the URL must use https',
    );
  }
  const afterScheme = raw.slice(url.protocol.length + 2);
  const authorityEnd = afterScheme.search(/[/?]/);
  if (authorityEnd < 0 || afterScheme[authorityEnd] !== '/') refuse('the URL has no path');
  if (afterScheme.slice(0, authorityEnd).includes('@')) refuse('the URL has a user name or password');
  const path = afterScheme.slice(authorityEnd).split('?', 1)[0];
  if (path.split('/').some((segment) => /^(?:\.|%2e){1,2}$/i.test(segment)))
    refuse('the URL has a "." or ".." path segment');
  if (url.href !== raw) refuse(`the URL must be written as ${url.href}`);
  const literal = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!loopbackHttp && isIP(literal)) {
    const why = forbiddenAddress(literal);
    if (why) refuse(`the URL names a ${why} address`);
  }
  return { url, loopbackHttp };
}
