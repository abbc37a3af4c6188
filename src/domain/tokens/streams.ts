const TOKEN_PREFIX = 'token-';

/** An access token that belongs to no grant (client credentials) has a stream of its own. */
export const tokenStream = (jti: string) => `${TOKEN_PREFIX}${jti}`;
export const isTokenStream = (stream: string) => stream.startsWith(TOKEN_PREFIX);
