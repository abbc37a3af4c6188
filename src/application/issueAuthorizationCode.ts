import { epochSeconds } from './ports.js';
import { v7 as uuidv7 } from 'uuid';
import type { CodeIssuedEvent } from '../domain/grants/events.js';
import type { ClientState } from '../domain/clients/state.js';
import type { CommandContext } from '../eventsourcing/ledger.js';
import { sha256 } from '../crypto/hash.js';
import { mintSecret } from '../crypto/secrets.js';
import type { Ports } from './ports.js';
import { CODE_LIFETIME_SECONDS, runOnGrant } from './grantIssuance.js';

type CodeIssued = CodeIssuedEvent['data'];

interface CodeRequest {
  client: ClientState;
  /** The authorization request as validated and carried through login and consent (other fields are not read). */
  request: Required<
    Pick<CodeIssued, 'redirectUri' | 'redirectUriSent' | 'scope' | 'resource' | 'codeChallenge' | 'nonce'>
  > & { dpopJkt?: string | null; pushedRequestId?: string; requestObject?: boolean };
  /** Who signed in, when, in which session (`sid`: the hash the ledger knows it by) and how. */
  login: Pick<CodeIssued, 'sub' | 'authTime' | 'sid' | 'amr'>;
}

/** Starts a grant with a single-use code (256 bits, 60 s); only its hash is written. */
export async function issueAuthorizationCode(
  ports: Pick<Ports, 'cache' | 'clock' | 'events'>,
  { client, request, login }: CodeRequest,
  ctx: CommandContext,
): Promise<string> {
  const code = mintSecret('tlac');
  const grantId = uuidv7();
  const data: CodeIssued = {
    grantId,
    codeHash: sha256(code),
    clientId: client.clientId,
    sub: login.sub,
    redirectUri: request.redirectUri,
    redirectUriSent: request.redirectUriSent,
    scope: request.scope,
    resource: request.resource,
    codeChallenge: request.codeChallenge,
    nonce: request.nonce,
    authTime: login.authTime,
    sid: login.sid,
    exp: epochSeconds(ports.clock) + CODE_LIFETIME_SECONDS,
    ...(login.amr ? { amr: login.amr } : {}),
    ...(request.dpopJkt ? { dpopJkt: request.dpopJkt } : {}),
    ...(request.pushedRequestId ? { pushedRequestId: request.pushedRequestId } : {}),
    ...(request.requestObject ? { requestObject: true } : {}),
  };
  await runOnGrant(ports, grantId, { type: 'IssueCode', code: data }, ctx);
  return code;
}
