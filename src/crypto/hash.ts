import { hash } from 'node:crypto';

/**
 * How the ledger and the views know a bearer secret: its SHA-256, base64url (43 characters).
 * One-shot `hash`: no Hash object per call, on a path every token request takes.
 */
export const sha256 = (value: string): string => hash('sha256', value, 'base64url');
