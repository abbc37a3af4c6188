import { ledgerRegistrationPolicy } from './queries/registrationPolicy.js';
import { registrationPolicyDecider, type RegistrationPolicyCommand } from '../domain/registration/decide.js';
import { REGISTRATION_POLICY_STREAM, type RegistrationPolicyEvent } from '../domain/registration/events.js';
import type { RegistrationPolicy } from '../domain/registration/policy.js';
import type { CommandContext } from '../eventsourcing/ledger.js';
import { execute } from './execute.js';
import type { Ports } from './ports.js';

/**
 * Where the policy in force comes from: set through GraphQL, REGISTRATION_POLICY_FILE, the built-in one of open
 * registration, or none (an operator minted the access, so the server allows what it allows).
 */
export type RegistrationPolicySource = 'ledger' | 'file' | 'default' | 'none';

/**
 * DYNAMIC_REGISTRATION=open with no policy set: anyone may register, so only clients that act for a person who
 * signs in and consents; client credentials (tokens with no person behind them) need an operator's policy.
 */
const OPEN_REGISTRATION_DEFAULT_POLICY: RegistrationPolicy = {
  grantTypes: ['authorization_code', 'refresh_token'],
};

function withoutLedgerPolicy(config: Ports['config']): EffectiveRegistrationPolicy {
  const file = config.registration.filePolicy;
  if (file) return { source: 'file', policy: file };
  if (config.registration.mode === 'open') return { source: 'default', policy: OPEN_REGISTRATION_DEFAULT_POLICY };
  return { source: 'none', policy: {} };
}

export interface EffectiveRegistrationPolicy {
  source: RegistrationPolicySource;
  policy: RegistrationPolicy;
  /** When set through GraphQL: when (ms), by whom, why. */
  setAt?: number;
  setBy?: string;
  reason?: string;
}

/**
 * The policy in force: one an operator set through GraphQL replaces the file's whole (no merging: what an operator
 * reads is what holds); clearing it brings the file's back. Read from views, never from the stream.
 */
export function effectiveRegistrationPolicy(ports: Pick<Ports, 'config' | 'views'>): EffectiveRegistrationPolicy {
  const set = ledgerRegistrationPolicy(ports.views);
  if (set.policy) return { ...set, source: 'ledger', policy: set.policy };
  return withoutLedgerPolicy(ports.config);
}

/**
 * The policy every self-registration is held to (before an initial access token narrows it): from the views when the
 * caller has them (the server's ports do, so no registration reads a stream for it), else folded from the stream.
 */
export async function serverRegistrationPolicy(
  ports: Pick<Ports, 'config' | 'events'> & Partial<Pick<Ports, 'views'>>,
): Promise<RegistrationPolicy> {
  const { config, views } = ports;
  if (views) return effectiveRegistrationPolicy({ config, views }).policy;
  let set: RegistrationPolicy | undefined;
  for (const e of await ports.events.ledger.store.readStream(REGISTRATION_POLICY_STREAM))
    set = registrationPolicyDecider.evolve(set, e as unknown as RegistrationPolicyEvent);
  return set ?? withoutLedgerPolicy(config).policy;
}

/** The one write path of the policy: the decider judges the command (setting the policy in force writes nothing). */
async function changeRegistrationPolicy(
  ports: Pick<Ports, 'config' | 'events' | 'views'>,
  command: RegistrationPolicyCommand,
  ctx: CommandContext,
): Promise<EffectiveRegistrationPolicy> {
  await execute(ports.events, REGISTRATION_POLICY_STREAM, registrationPolicyDecider, command, ctx);
  return effectiveRegistrationPolicy(ports);
}

/** Sets the policy in the ledger (GraphQL); it holds on every server process sharing the ledger once applied. */
export const setRegistrationPolicy = (
  ports: Pick<Ports, 'config' | 'events' | 'views'>,
  policy: RegistrationPolicy,
  ctx: CommandContext,
) => changeRegistrationPolicy(ports, { type: 'SetRegistrationPolicy', policy }, ctx);

/** Drops the policy set in the ledger: REGISTRATION_POLICY_FILE's holds again (or the built-in one, or none). */
export const clearRegistrationPolicy = (ports: Pick<Ports, 'config' | 'events' | 'views'>, ctx: CommandContext) =>
  changeRegistrationPolicy(ports, { type: 'ClearRegistrationPolicy' }, ctx);
