import { Unavailable } from '../domain/refusal.js';
/** Views did not reach a position in time: the caller answers 503, never a stale read. */
export class WaitTimeoutError extends Unavailable {
  override readonly name = 'WaitTimeoutError';
}
