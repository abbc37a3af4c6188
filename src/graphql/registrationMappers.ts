import type { InitialAccessTokenRecord } from '../../projections/initialAccessTokens.js';
import type { EffectiveRegistrationPolicy as Effective } from '../application/registrationPolicy.js';
import { RegistrationPolicyRefused } from '../domain/registration/decide.js';
import { readRegistrationPolicy, type RegistrationPolicy } from '../domain/registration/policy.js';
import {
  InitialAccessTokenStatus,
  RegistrationPolicySource,
  type EffectiveRegistrationPolicy,
  type InitialAccessToken,
  type RegistrationPolicyInput,
  type RegistrationPolicyNode,
} from './registrationTypes.js';

function toPolicyNode(p: RegistrationPolicy): RegistrationPolicyNode {
  return {
    grantTypes: p.grantTypes ? [...p.grantTypes] : null,
    scope: p.scope ?? null,
    redirectUriPrefixes: p.redirectUriPrefixes ? [...p.redirectUriPrefixes] : null,
    maxAccessTokenTtl: p.maxAccessTokenTtl ?? null,
    registrationsPerIpPerHour: p.registrationsPerIpPerHour ?? null,
  };
}

/** The input as a RegistrationPolicy (null fields left out), held to the schema and rules the file is. */
export function policyFromInput(input: RegistrationPolicyInput): RegistrationPolicy {
  const fields = Object.entries(input).filter(([, v]) => v !== null && v !== undefined);
  const read = readRegistrationPolicy(Object.fromEntries(fields));
  if ('problem' in read) throw new RegistrationPolicyRefused('invalid_policy', `policy: ${read.problem}`);
  return read.policy;
}

export function toEffectivePolicy(
  e: Effective,
  filePolicy: RegistrationPolicy | undefined,
): EffectiveRegistrationPolicy {
  return {
    source: {
      ledger: RegistrationPolicySource.LEDGER,
      file: RegistrationPolicySource.FILE,
      default: RegistrationPolicySource.DEFAULT,
      none: RegistrationPolicySource.NONE,
    }[e.source],
    policy: toPolicyNode(e.policy),
    setAt: e.setAt === undefined ? null : new Date(e.setAt),
    setBy: e.setBy ?? null,
    reason: e.reason ?? null,
    filePolicy: filePolicy ? toPolicyNode(filePolicy) : null,
  };
}

function status(t: InitialAccessTokenRecord, nowMs: number): InitialAccessTokenStatus {
  if (t.revokedAt !== undefined) return InitialAccessTokenStatus.REVOKED;
  if (t.expiresAt !== null && t.expiresAt <= nowMs) return InitialAccessTokenStatus.EXPIRED;
  if (t.uses !== null && t.usedCount >= t.uses) return InitialAccessTokenStatus.USED_UP;
  return InitialAccessTokenStatus.ACTIVE;
}

export function toInitialAccessToken(t: InitialAccessTokenRecord, nowMs = Date.now()): InitialAccessToken {
  return {
    id: t.id,
    status: status(t, nowMs),
    createdAt: new Date(t.createdAt),
    createdBy: t.createdBy ?? null,
    expiresAt: t.expiresAt === null ? null : new Date(t.expiresAt),
    uses: t.uses,
    usesLeft: t.uses === null ? null : Math.max(0, t.uses - t.usedCount),
    usedCount: t.usedCount,
    lastUsedAt: t.lastUsedAt === undefined ? null : new Date(t.lastUsedAt),
    revoked: t.revokedAt !== undefined,
    revokedAt: t.revokedAt === undefined ? null : new Date(t.revokedAt),
    policy: t.policy ? toPolicyNode(t.policy) : null,
  };
}
