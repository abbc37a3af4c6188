import { randomBytes } from 'node:crypto';

/**
 * Where a JWT access token's status bit lives (draft-ietf-oauth-status-list): a list id and an
 * index in it, recorded in the AccessTokenIssued event so any instance can publish any list from
 * the ledger (projections/statusLists.ts).
 *
 * Indexes are allocated without coordination between instances, and never collide:
 * - each process picks a random namespace at start (64 bits, base64url) and is the only writer of
 *   the lists named after it, so two instances never hand out a slot of the same list;
 * - within its namespace a process numbers its lists 0, 1, 2… and its slots 0, 1, 2… from an
 *   in-memory counter. A restart picks a new namespace, so a counter that starts again at 0 never
 *   reuses a slot (a random slot in one big list would collide: the birthday bound);
 * - a process opens a new list every issuance hour (and at LIST_CAPACITY slots), so a list stops
 *   growing after an hour and is dropped by the view once all its tokens have expired. The list is
 *   numbered, not named after the hour: a clock stepping back can never reopen an older list.
 * A slot minted but never recorded (the append failed) is simply a 0 bit nobody refers to.
 */
const NAMESPACE = randomBytes(8).toString('base64url');
/** 2^20 bits = 128 KiB before compression: a cap on one list, not a limit on issuance. */
const LIST_CAPACITY = 1 << 20;
export const STATUS_LIST_ID = /^[A-Za-z0-9_-]{1,64}$/;

let open: { id: string; hour: number; next: number } | undefined;
let listsOpened = 0;

export interface StatusSlot {
  id: string;
  idx: number;
}

export function allocateStatusSlot(iat: number): StatusSlot {
  const hour = Math.floor(iat / 3600);
  if (!open || open.hour !== hour || open.next >= LIST_CAPACITY) {
    open = { id: `${NAMESPACE}-${listsOpened++}`, hour, next: 0 };
  }
  return { id: open.id, idx: open.next++ };
}

export const statusListUri = (issuer: string, id: string) => `${issuer}/status-lists/${id}`;
