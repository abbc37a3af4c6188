/** `$ce-` splits a stream name on its first dash, so `client-svc-a` stays in category `client`. */
export const clientStream = (clientId: string) => `client-${clientId}`;
