import { sha256 } from '../../crypto/hash.js';
import { normaliseUsername } from './decide.js';

/** A sub is a UUID: its dashes stay after the first one, so the `$ce-` category is `user`. */
export const userStream = (sub: string) => `user-${sub}`;
/** Hashed: a username may hold characters (`@`, `+`, `.`) that make a poor stream name, and its length is bounded. */
export const usernameStream = (username: string) => `username-${sha256(normaliseUsername(username))}`;
