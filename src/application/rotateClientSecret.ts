import { ClientCommandError } from '../domain/clients/decide.js';
import { checkChosenClientSecret } from '../domain/clients/metadataRules.js';
import type { ClientState } from '../domain/clients/state.js';
import type { CommandContext } from '../eventsourcing/ledger.js';
import { generateClientSecret, hashClientSecret } from '../security/clientSecrets.js';
import { handleClientCommand, viewedClient } from './clients.js';
import type { Ports } from './ports.js';

/** A day: long enough for a deployment to pick up the new secret, short enough that the old one dies soon. */
export const DEFAULT_SECRET_GRACE_SECONDS = 86_400;

interface SecretRotation {
  /** The operator's own secret (kept as a slow hash); a generated one when omitted. */
  chosenSecret?: string;
  /** How long the replaced secret keeps authenticating; 0 stops it at once. */
  graceSeconds?: number;
}

/**
 * Gives a client a new secret (CLI and GraphQL). The replaced one keeps authenticating for the grace
 * period, so a service can switch without an outage. Answers the client as the clients view holds it and
 * the new secret in clear, shown this once.
 */
export async function rotateClientSecret(
  ports: Pick<Ports, 'clock' | 'config' | 'events' | 'views'>,
  clientId: string,
  rotation: SecretRotation,
  ctx: CommandContext,
): Promise<{ client: ClientState; secret: string }> {
  const graceSeconds = rotation.graceSeconds ?? DEFAULT_SECRET_GRACE_SECONDS;
  if (!Number.isSafeInteger(graceSeconds) || graceSeconds < 0)
    throw new ClientCommandError('invalid_client_metadata', 'the grace period is a whole number of seconds, 0 or more');
  viewedClient(ports, clientId);
  if (rotation.chosenSecret !== undefined) checkChosenClientSecret(rotation.chosenSecret);
  const secret = rotation.chosenSecret ?? generateClientSecret();
  const hash = await hashClientSecret(secret, rotation.chosenSecret === undefined);
  await handleClientCommand(
    ports,
    { type: 'RotateClientSecret', clientId, secret: hash, graceSeconds, now: ports.clock() },
    ctx,
  );
  return { client: viewedClient(ports, clientId), secret };
}

/**
 * Records that a replaced secret authenticated during its overlap, at most once a client an hour (the
 * decider's bound). This process asks the decider at most once a client a minute, so a busy client using
 * its old secret costs a stream read a minute, not one per request.
 */
export function previousSecretRecorder(
  ports: Pick<Ports, 'clock' | 'config' | 'events'>,
  onError: (err: unknown) => void,
): (clientId: string, correlationId: string) => void {
  const recorded = new Map<string, number>();
  return (clientId, correlationId) => {
    const now = ports.clock();
    const last = recorded.get(clientId);
    if (last !== undefined && now - last < 60_000) return;
    recorded.set(clientId, now);
    handleClientCommand(
      ports,
      { type: 'RecordPreviousSecretUse', clientId, now },
      { actor: `client:${clientId}`, correlationId },
    ).catch(onError);
  };
}
