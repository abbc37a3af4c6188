import { sha256 } from '../../crypto/hash.js';

/** What a user consented to for one client; hashed so the stream name carries neither id. */
export const consentStream = (sub: string, clientId: string) => `consent-${sha256(`${sub}\0${clientId}`)}`;
