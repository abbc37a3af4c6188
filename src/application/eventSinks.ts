import type { EventSinksConfig } from '../config/eventSinksConfig.js';
import { openSinkSecret, sealSinkSecret } from '../crypto/sinkSecret.js';
import { allEvents } from '../domain/events/all.js';
import { sinksDecider, SinkRefused, type SinksState } from '../domain/sinks/decide.js';
import { SINKS_STREAM, type SinkEvent } from '../domain/sinks/events.js';
import { secretProblem, sinkSettingsProblem, type SinkSettings } from '../domain/sinks/rules.js';
import type { CommandContext } from '../eventsourcing/ledger.js';
import type { Sink } from '../feed/sink.js';
import { execute } from './execute.js';
import type { Ports } from './ports.js';

/** What the sink use cases need: the ledger, the key that seals secrets, and the feed's settings. */
export type SinkPorts = Pick<Ports, 'events' | 'keyEncryptionSecret'> & { sinks: EventSinksConfig };

const EVENT_TYPES: ReadonlySet<string> = new Set(allEvents.map((e) => e.type));

const rules = (ports: SinkPorts) => ({
  fileIds: new Set(ports.sinks.fileSinks.map((s) => s.id)),
  allowHttpLoopback: ports.sinks.allowHttpLoopback,
  eventTypes: EVENT_TYPES,
});

/** The `sinks` stream folded: a handful of events, read when an operator or the feed asks. */
export async function readSinksState(ports: Pick<SinkPorts, 'events'>): Promise<SinksState> {
  let state = sinksDecider.initialState();
  for (const e of await ports.events.ledger.store.readStream(SINKS_STREAM))
    state = sinksDecider.evolve(state, e as unknown as SinkEvent);
  return state;
}

/**
 * Creates or replaces a sink set through GraphQL. The secret is checked before it is sealed (the seal costs a key
 * derivation), and the settings too, so a refusal costs nothing; the decider judges them again.
 */
export async function setEventSink(
  ports: SinkPorts,
  input: { settings: SinkSettings; secret?: string },
  ctx: CommandContext,
): Promise<void> {
  const r = rules(ports);
  const early = sinkSettingsProblem(input.settings, r);
  if (early) throw new SinkRefused(early.reason, early.problem);
  const bad = input.secret === undefined ? undefined : secretProblem(input.secret);
  if (bad) throw new SinkRefused('invalid_sink', bad);
  if (r.fileIds.has(input.settings.id))
    throw new SinkRefused(
      'duplicate_sink_id',
      `sink ${input.settings.id} is configured in EVENT_SINKS_FILE; choose another id`,
    );
  const secret =
    input.secret === undefined
      ? undefined
      : await sealSinkSecret(input.settings.id, input.secret, ports.keyEncryptionSecret);
  const command = { type: 'SetEventSink' as const, settings: input.settings, secret, ...r };
  await execute(ports.events, SINKS_STREAM, sinksDecider, command, ctx);
}

export async function removeEventSink(ports: SinkPorts, id: string, ctx: CommandContext): Promise<void> {
  await execute(
    ports.events,
    SINKS_STREAM,
    sinksDecider,
    { type: 'RemoveEventSink', id, fileIds: rules(ports).fileIds },
    ctx,
  );
}

export async function resumeEventSink(ports: SinkPorts, id: string, ctx: CommandContext): Promise<void> {
  await execute(
    ports.events,
    SINKS_STREAM,
    sinksDecider,
    { type: 'ResumeEventSink', id, fileIds: rules(ports).fileIds },
    ctx,
  );
}

/** Recorded by the process delivering to the sink, once it has failed for parkAfterSeconds. */
export async function parkEventSink(
  ports: Pick<SinkPorts, 'events'>,
  park: { id: string; position: bigint; failingSince: Date; lastError: string },
  ctx: CommandContext,
): Promise<void> {
  await execute(ports.events, SINKS_STREAM, sinksDecider, { type: 'ParkEventSink', ...park }, ctx);
}

/** Every sink, the file's first, with its secret opened (each ledger secret costs one key derivation, cached). */
export async function resolveSinks(
  ports: SinkPorts,
  state: SinksState,
  opened: Map<string, string> = new Map(),
): Promise<Sink[]> {
  const fromLedger: Sink[] = [];
  for (const s of state.sinks.values()) {
    const key = `${s.id}:${s.secret.ciphertext}`;
    let secret = opened.get(key);
    if (secret === undefined)
      opened.set(key, (secret = await openSinkSecret(s.id, s.secret, ports.keyEncryptionSecret)));
    const { secret: _sealed, ...rest } = s;
    fromLedger.push({ ...rest, secret, source: 'ledger' });
  }
  return [...ports.sinks.fileSinks, ...fromLedger];
}
