/** A browser session, named by its id's hash (the id is a bearer secret): its start, end and logout deliveries. */
export const sessionStream = (sidHash: string) => `session-${sidHash}`;
