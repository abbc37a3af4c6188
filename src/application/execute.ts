import type { Decider } from '../domain/decider.js';
import { ConcurrencyError } from '../eventsourcing/eventStore.js';
import type { CommandContext, DomainEvent, Ledger } from '../eventsourcing/ledger.js';
import type { StateCache } from './stateCache.js';
import { activeTracing, inSpan, type ActiveTracing } from '../tracing/active.js';

/** What a change needs: the ledger to read and append, and the views whose catching up it waits for. */
export interface WritePorts {
  ledger: Pick<Ledger, 'store' | 'append'>;
  views: { waitFor(position: bigint): Promise<void> };
}

interface ExecuteOptions {
  /** Folded states of hot streams (grants): only the events after the cached revision are read. */
  cache?: StateCache;
  /**
   * The stream is new by construction (named by a fresh UUIDv7 or a 256-bit secret's hash): the first
   * decision is made on the initial state without reading. A conflict is then read and decided again.
   */
  fresh?: boolean;
  /** false: answer once the events are durable, without waiting for the views (the caller holds the change already). */
  waitForViews?: boolean;
  /** How often a decision is made again after a concurrent writer won (ConcurrencyError). */
  retries?: number;
  /**
   * The decider keeps no state (facts recorded as they happen, e.g. failed attempts): nothing is read and the append
   * takes any revision, so concurrent writers of the stream never conflict and a long stream costs nothing to add to.
   */
  unconditional?: boolean;
}

interface Executed<E> {
  events: E[];
  /** Position of the last event written (undefined when the decision was to write nothing). */
  position?: bigint;
}

/**
 * The one write path: read the stream, fold it, decide, append at the revision read, and return once
 * this instance's views have applied the append (read your own writes). A concurrent writer makes the
 * append fail with ConcurrencyError; the decision is then made again on the fresh state, a few times.
 */
export async function execute<C, S, E extends DomainEvent>(
  ports: WritePorts,
  stream: string,
  decider: Decider<C, S, E>,
  command: C,
  ctx: CommandContext,
  options: ExecuteOptions = {},
): Promise<Executed<E>> {
  const tracing = activeTracing();
  if (!tracing) return executeIn(undefined, ports, stream, decider, command, ctx, options);
  const type = (command as { type?: unknown }).type;
  const name = typeof type === 'string' ? type : 'command';
  return inSpan(tracing, `command ${name}`, commandAttributes(name, stream, ctx), async (span) => {
    const result = await executeIn(tracing, ports, stream, decider, command, ctx, options);
    span.setAttribute('token_ledger.events', result.events.length);
    return result;
  });
}

/**
 * What a command span tells: the command and the stream's category (the part of its name before the first dash:
 * `client`, `grant`), never the rest of a stream name, which can be a secret's hash. The correlationId is named
 * too, as it is not the trace id for commands no request caused (the server's own sweeps, the CLI).
 */
const commandAttributes = (type: string, stream: string, ctx: CommandContext) => ({
  'token_ledger.command': type,
  'token_ledger.stream.category': stream.split('-', 1)[0],
  'token_ledger.actor': ctx.actor,
  'token_ledger.correlation_id': ctx.correlationId,
});

async function executeIn<C, S, E extends DomainEvent>(
  tracing: ActiveTracing | undefined,
  ports: WritePorts,
  stream: string,
  decider: Decider<C, S, E>,
  command: C,
  ctx: CommandContext,
  options: ExecuteOptions,
): Promise<Executed<E>> {
  const { cache } = options;
  const run = () => decideAndAppend(tracing, ports, stream, decider, command, ctx, options);
  const result = cache ? await cache.inTurn(stream, run) : await run();
  const { position } = result;
  if (position === undefined || options.waitForViews === false) return result;
  if (!tracing) await ports.views.waitFor(position);
  else
    await inSpan(tracing, 'wait for views', { 'token_ledger.position': Number(position) }, () =>
      ports.views.waitFor(position),
    );
  return result;
}

async function decideAndAppend<C, S, E extends DomainEvent>(
  tracing: ActiveTracing | undefined,
  { ledger }: WritePorts,
  stream: string,
  decider: Decider<C, S, E>,
  command: C,
  ctx: CommandContext,
  { cache, fresh = false, retries = 3, unconditional = false }: ExecuteOptions,
): Promise<Executed<E>> {
  if (unconditional) {
    const events = decider.decide(command, decider.initialState());
    if (events.length === 0) return { events };
    return { events, position: (await ledger.append(stream, events, 'any', ctx)).position };
  }
  for (let attempt = 0; ; attempt++) {
    const cached = cache?.get<S>(stream);
    let state = cached?.state ?? decider.initialState();
    let revision = cached?.revision ?? -1;
    if (!(fresh && attempt === 0)) {
      try {
        for (const e of await ledger.store.readStream(stream, revision + 1)) {
          state = decider.evolve(state, e as unknown as E);
          revision = e.revision;
        }
      } catch (err) {
        // A fold that failed half-way may have changed the cached state: start from scratch next time.
        cache?.forget(stream);
        throw err;
      }
      if (cache && revision >= 0) cache.set(stream, revision, state);
    }
    const events = decider.decide(command, state);
    if (events.length === 0) return { events };
    const expected = revision < 0 ? 'no_stream' : revision;
    try {
      const result = tracing
        ? await inSpan(tracing, 'ledger append', appendAttributes(events, attempt), async (span) => {
            const appended = await ledger.append(stream, events, expected, ctx);
            span.setAttribute('token_ledger.position', Number(appended.position));
            return appended;
          })
        : await ledger.append(stream, events, expected, ctx);
      return { events, position: result.position };
    } catch (err) {
      if (!(err instanceof ConcurrencyError) || attempt >= retries) throw err;
    }
  }
}

const appendAttributes = (events: DomainEvent[], attempt: number) => ({
  'token_ledger.events': events.length,
  'token_ledger.event.types': [...new Set(events.map((e) => e.type))],
  'token_ledger.append.attempt': attempt,
});
