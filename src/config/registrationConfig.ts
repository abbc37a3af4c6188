import type { RegistrationPolicy } from '../domain/registration/policy.js';
import { ConfigError, integer, choice, type Env } from './configParsing.js';
import { registrationPolicyFile } from './registrationPolicyFile.js';

/** Clients that register themselves (RFC 7591/7592) and clients identified by a metadata document URL. */
export interface RegistrationConfig {
  /**
   * DYNAMIC_REGISTRATION: who may POST /register. `initial_access_token` (the default): only with a token an
   * operator minted; `open`: anyone (then REGISTRATION_POLICY_FILE should narrow what they get); `off`: no endpoint.
   */
  mode: 'off' | 'initial_access_token' | 'open';
  /** REGISTRATION_POLICY_FILE: a JSON RegistrationPolicy every self-registration is held to. */
  policyFile?: string;
  /** The file's policy, read and checked at startup; one set through GraphQL replaces it (registrationPolicy.ts). */
  filePolicy?: RegistrationPolicy;
  /** SOFTWARE_STATEMENT_ISSUERS_FILE: JSON naming the issuers (and public keys) whose software statements count. */
  softwareStatementIssuersFile?: string;
  /** REGISTRATION_RATE_PER_IP: registrations one IP (IPv6 /64) may make per hour. */
  ratePerIp: number;
  /** DYNAMIC_CLIENT_IDLE_TTL: a self-registered client unused this many seconds is deleted; 0: never. */
  idleClientSeconds: number;
  /** CLIENT_ID_METADATA_DOCUMENTS=on: a client_id that is an https URL is resolved by fetching it. */
  metadataDocuments: boolean;
  /**
   * CLIENT_ID_METADATA_DOCUMENTS_ALLOW_HTTP_LOOPBACK=true, for development only: http://127.0.0.1 documents are
   * accepted (never any other http or private address).
   */
  metadataDocumentsAllowLoopbackHttp: boolean;
}

function file(env: Env, name: string): string | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  if (raw.includes('\0')) throw new ConfigError(`${name} is invalid: expected a file path`);
  return raw;
}

export function registrationConfig(env: Env): RegistrationConfig {
  const on = (name: string) => choice(env, name, ['off', 'on'], 'off') === 'on';
  const policyFile = file(env, 'REGISTRATION_POLICY_FILE');
  return {
    mode: choice(env, 'DYNAMIC_REGISTRATION', ['off', 'initial_access_token', 'open'], 'initial_access_token'),
    policyFile,
    ...(policyFile !== undefined && { filePolicy: registrationPolicyFile(policyFile) }),
    softwareStatementIssuersFile: file(env, 'SOFTWARE_STATEMENT_ISSUERS_FILE'),
    ratePerIp: integer(env, 'REGISTRATION_RATE_PER_IP', 20, 1, 1_000_000),
    idleClientSeconds: integer(env, 'DYNAMIC_CLIENT_IDLE_TTL', 0, 0, 315_360_000),
    metadataDocuments: on('CLIENT_ID_METADATA_DOCUMENTS'),
    metadataDocumentsAllowLoopbackHttp:
      choice(env, 'CLIENT_ID_METADATA_DOCUMENTS_ALLOW_HTTP_LOOPBACK', ['false', 'true'], 'false') === 'true',
  };
}
