/** The keyring is one aggregate: which key signs is a decision over all keys, guarded by one stream. */
export const KEYRING_STREAM = 'keyring-signing';
