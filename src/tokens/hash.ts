import { createHash } from 'node:crypto';

/** How the ledger and the views know a bearer secret: its SHA-256, base64url (43 characters). */
export const sha256 = (value: string): string => createHash('sha256').update(value).digest('base64url');
