/** An initial access token, named by its SHA-256: the token itself is a bearer secret and never a name. */
export const initialAccessTokenStream = (tokenHash: string) => `iat-${tokenHash}`;
