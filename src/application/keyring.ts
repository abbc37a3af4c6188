import { randomUUID } from 'node:crypto';
import type { KeyringCommand } from '../domain/keyring/decide.js';
import { keyringDecider } from '../domain/keyring/decider.js';
import type { KeyringEvent } from '../domain/keyring/events.js';
import { evolveKeyring } from '../domain/keyring/evolve.js';
import { hasKeyFrom, initialKeyring, type Alg, type KeyringState } from '../domain/keyring/state.js';
import { KEYRING_STREAM } from '../domain/keyring/streams.js';
import { execute } from './execute.js';
import type { CommandContext } from '../eventsourcing/ledger.js';
import { generateKeyMaterial } from '../crypto/keyMaterial.js';
import type { Ports } from './ports.js';

export const SIGNING_ALGS: Alg[] = ['RS256', 'ES256'];

const systemContext = (): CommandContext => ({ actor: 'system', correlationId: randomUUID() });

export async function readKeyring(ports: Pick<Ports, 'events'>): Promise<KeyringState> {
  const events = await ports.events.ledger.store.readStream(KEYRING_STREAM);
  return events.reduce((s, e) => evolveKeyring(s, e as unknown as KeyringEvent), initialKeyring());
}

/**
 * On first start (or after every key of an algorithm was retired), generate what is missing. Several
 * instances starting at once on a new ledger race on the keyring stream: the first append expects
 * no stream, the others conflict, re-read, and find the winner's keys (the decider then adds none).
 */
export async function ensureSigningKeys(
  ports: Pick<Ports, 'clock' | 'events' | 'keyEncryptionSecret'>,
  now = ports.clock(),
): Promise<KeyringEvent[]> {
  const state = await readKeyring(ports);
  const missing = SIGNING_ALGS.filter((alg) => !hasKeyFrom(state, alg, now));
  if (missing.length === 0) return [];
  const generated = await Promise.all(missing.map((alg) => generateKeyMaterial(alg, ports.keyEncryptionSecret)));
  const { events } = await execute(
    ports.events,
    KEYRING_STREAM,
    keyringDecider,
    { type: 'EnsureSigningKeys', now, generated },
    systemContext(),
  );
  return events;
}

export async function rotateSigningKey(
  ports: Pick<Ports, 'clock' | 'config' | 'events' | 'keyEncryptionSecret'>,
  alg: Alg,
  activatesAt: number,
  ctx: CommandContext,
  now = ports.clock(),
): Promise<KeyringEvent[]> {
  const key = await generateKeyMaterial(alg, ports.keyEncryptionSecret);
  const command: KeyringCommand = {
    type: 'RotateSigningKey',
    now,
    key,
    activatesAt,
    maxTokenLifetimeMs: ports.config.maxTokenLifetimeSeconds * 1000,
  };
  const { events } = await execute(ports.events, KEYRING_STREAM, keyringDecider, command, ctx);
  return events;
}
