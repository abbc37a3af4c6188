import { sha256 } from '../../crypto/hash.js';
import type { ThrottleScope } from './blocks.js';

/** One stream per counted key: its history of blocks, without naming the key in the stream id. */
export const throttleStream = (b: { scope: ThrottleScope; tier: string; subject: string }) =>
  `throttle-${sha256(`${b.scope}\0${b.tier}\0${b.subject}`)}`;
