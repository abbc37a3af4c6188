/** A grant's whole life (code, tokens, rotations, revocations) is one stream, decided with one expected revision. */
export const grantStream = (grantId: string) => `grant-${grantId}`;
