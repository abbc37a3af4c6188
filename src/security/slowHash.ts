import { scrypt } from 'node:crypto';
import { promisify } from 'node:util';

const scryptAsync = promisify(scrypt) as (
  secret: string,
  salt: Buffer,
  length: number,
  options: object,
) => Promise<Buffer>;

interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

let runs = 0;

/**
 * scrypt for passwords and chosen client secrets: the one deliberately slow step on the login and
 * client authentication paths, so the throttles' job is to keep it from running beyond their limits.
 * scrypt needs 128·N·r·p bytes; Node's default maxmem (32 MiB) is exactly that for N=2^15, r=8: leave room.
 */
export function scryptHash(secret: string, salt: Buffer, params: ScryptParams, length = 32): Promise<Buffer> {
  runs++;
  return scryptAsync(secret, salt, length, {
    N: params.N,
    r: params.r,
    p: params.p,
    maxmem: 256 * params.N * params.r * params.p,
  });
}

/** How many scrypt hashes this process has started: the brute-force tests count guesses with it. */
export const scryptRuns = (): number => runs;
