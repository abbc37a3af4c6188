import { Refusal } from '../domain/refusal.js';

/** A bad setting: the message is one line naming the variable and what it expects. */
export class ConfigError extends Refusal {
  override readonly name = 'ConfigError';
  constructor(message: string) {
    super('invalid_request', message);
  }
}

export type Env = Record<string, string | undefined>;

export function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new ConfigError(`${name}=${JSON.stringify(raw)} is invalid: expected a whole number from ${min} to ${max}`);
  }
  return Number(raw);
}

export function choice<T extends string>(env: Env, name: string, values: readonly T[], fallback: T): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if ((values as readonly string[]).includes(raw)) return raw as T;
  throw new ConfigError(`${name}=${JSON.stringify(raw)} is invalid: expected one of ${values.join(', ')}`);
}
