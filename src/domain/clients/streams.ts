import { sha256 } from '../../crypto/hash.js';

/**
 * `$ce-` splits a stream name on its first dash, so `client-svc-a` stays in category `client`. A client ID metadata
 * document's URL (up to 2000 characters of slashes, colons and escapes) is named by its hash instead, behind `url=`:
 * no plain id has an `=`, so no plain id's stream is ever a URL's.
 */
export const clientStream = (clientId: string) =>
  /^https?:\/\//.test(clientId) ? `client-url=${sha256(clientId)}` : `client-${clientId}`;
