/** A pushed authorization request, named by the SHA-256 of its request_uri. */
export const pushedRequestStream = (requestId: string) => `par-${requestId}`;
