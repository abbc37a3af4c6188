import { epochSeconds } from './ports.js';
import { v7 as uuidv7 } from 'uuid';
import type { CodeIssuedEvent } from '../domain/grants/events.js';
import type { ClientState } from '../domain/clients/state.js';
import type { CommandContext } from '../eventsourcing/ledger.js';
import { sha256 } from '../crypto/hash.js';
import { mintSecret } from '../crypto/secrets.js';
import type { Ports } from './ports.js';
import { CODE_LIFETIME_SECONDS, runOnGrant } from './grantIssuance.js';

interface CodeRequest {
  client: ClientState;
  sub: string;
  redirectUri: string;
  redirectUriSent: boolean;
  scope: string;
  resource: string[];
  codeChallenge: string | null;
  nonce: string | null;
  authTime: number;
  sid: string | null;
  amr?: string[];
}

/** Starts a grant with a single-use code (256 bits, 60 s); only its hash is written. */
export async function issueAuthorizationCode(
  ports: Pick<Ports, 'cache' | 'clock' | 'events'>,
  req: CodeRequest,
  ctx: CommandContext,
): Promise<string> {
  const code = mintSecret('tlac');
  const grantId = uuidv7();
  const data: CodeIssuedEvent['data'] = {
    grantId,
    codeHash: sha256(code),
    clientId: req.client.clientId,
    sub: req.sub,
    redirectUri: req.redirectUri,
    redirectUriSent: req.redirectUriSent,
    scope: req.scope,
    resource: req.resource,
    codeChallenge: req.codeChallenge,
    nonce: req.nonce,
    authTime: req.authTime,
    sid: req.sid,
    exp: epochSeconds(ports.clock) + CODE_LIFETIME_SECONDS,
    ...(req.amr ? { amr: req.amr } : {}),
  };
  await runOnGrant(ports, grantId, { type: 'IssueCode', code: data }, ctx);
  return code;
}
