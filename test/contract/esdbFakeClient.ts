/**
 * An in-memory stand-in for the `KurrentDBClient` the EventStoreDB adapter uses, answering with the
 * shapes and error classes of @kurrent/kurrentdb-client 1.3 (dist/streams/appendToStream/index.js and
 * batchAppend.js, dist/streams/readStream.js, dist/utils/CommandError.js), so the adapter's decisions
 * can be tested with no server.
 */
import { EventEmitter } from 'node:events';
import {
  ANY,
  BACKWARDS,
  NO_STREAM,
  STREAM_EXISTS,
  StreamNotFoundError,
  WrongExpectedVersionError,
  convertToCommandError,
  type AppendStreamState,
  type KurrentDBClient,
} from '@kurrent/kurrentdb-client';

export interface FakeRecorded {
  streamId: string;
  id: string;
  revision: bigint;
  type: string;
  created: Date;
  isJson: true;
  data: unknown;
  metadata: unknown;
  position: { commit: bigint; prepare: bigint };
}

interface FakeStream {
  events: FakeRecorded[];
  /** A soft-deleted stream reads as missing but keeps its numbering. */
  nextRevision: bigint;
}

type Proposed = { id: string; type: string; data: unknown; metadata: unknown };

/** What `appendToStream` does next: throw before writing, or write and then throw (the reply was lost). */
export type AppendFault = { before: unknown } | { after: unknown } | undefined;

/**
 * A gRPC ServiceError as the transport hands it to the client, turned into the client's error class.
 * The client looks for rich error details in the trailers: these carry none (grpc-js `Metadata.get` gives []).
 */
export function grpcError(code: number, details: string): Error {
  const metadata = { get: () => [], getMap: () => ({}) };
  return convertToCommandError({ code, details, message: `${code} ${details}`, metadata } as never);
}

export class FakeEsdb {
  readonly streams = new Map<string, FakeStream>();
  private position = 1000n;
  appendCalls = 0;
  readonly readOptions: Array<Record<string, unknown>> = [];
  readonly subscriptions: FakeSubscription[] = [];
  /** Consulted before each append. */
  fault: (stream: string, call: number) => AppendFault = () => undefined;
  throwOnAppendFailure = true;

  get client(): KurrentDBClient {
    return this as unknown as KurrentDBClient;
  }

  /** Writes as another writer would (no hash chain needed: the adapter reads only ids and hashes). */
  write(stream: string, events: Proposed[]): void {
    const s = this.streams.get(stream) ?? { events: [], nextRevision: 0n };
    this.streams.set(stream, s);
    for (const e of events) {
      this.position += 100n;
      s.events.push({
        streamId: stream,
        id: e.id,
        revision: s.nextRevision++,
        type: e.type,
        created: new Date(),
        isJson: true,
        data: e.data,
        metadata: e.metadata,
        position: { commit: this.position, prepare: this.position },
      });
    }
  }

  softDelete(stream: string): void {
    this.streams.get(stream)!.events = [];
  }

  // Like the client, an option it does not know (the old client's expectedRevision) is ignored: 'any'.
  async appendToStream(
    stream: string,
    events: Proposed[],
    { streamState = ANY }: { streamState?: AppendStreamState } = {},
  ) {
    const fault = this.fault(stream, this.appendCalls++);
    if (fault && 'before' in fault) throw fault.before;
    const s = this.streams.get(stream);
    const current = s && s.events.length > 0 ? s.events[s.events.length - 1].revision : undefined;
    const expected = streamState;
    const ok =
      expected === ANY ||
      (expected === NO_STREAM
        ? current === undefined
        : expected === STREAM_EXISTS
          ? current !== undefined
          : current === expected);
    if (!ok) {
      if (this.throwOnAppendFailure) {
        throw new WrongExpectedVersionError(undefined, {
          streamName: stream,
          current: current ?? 'no_stream',
          expected,
        });
      }
      return { success: false, nextExpectedRevision: current ?? -1n, position: undefined };
    }
    this.write(stream, events);
    if (fault && 'after' in fault) throw fault.after;
    return {
      success: true,
      nextExpectedRevision: this.streams.get(stream)!.nextRevision - 1n,
      position: { commit: this.position, prepare: this.position },
    };
  }

  /** An async generator, like the client's (its reads go through the native bridge): no cancel(). */
  readStream(
    stream: string,
    options: { direction?: string; fromRevision?: bigint | string; maxCount?: number } & Record<string, unknown>,
  ) {
    this.readOptions.push(options);
    const s = this.streams.get(stream);
    const found = s && s.events.length > 0 ? s.events : undefined;
    return (async function* () {
      if (!found) throw new StreamNotFoundError(undefined, stream);
      const max = options.maxCount ?? Number.MAX_SAFE_INTEGER;
      const list =
        options.direction === BACKWARDS
          ? [...found]
              .reverse()
              .filter((e) => typeof options.fromRevision !== 'bigint' || e.revision <= options.fromRevision)
          : found.filter((e) => typeof options.fromRevision !== 'bigint' || e.revision >= options.fromRevision);
      for (const event of list.slice(0, max)) yield { event };
    })();
  }

  readAll(options: Record<string, unknown>) {
    this.readOptions.push(options);
    return (async function* () {})();
  }

  subscribeToAll(options: Record<string, unknown>) {
    this.readOptions.push(options);
    const sub = new FakeSubscription(options);
    this.subscriptions.push(sub);
    return sub;
  }

  async dispose(): Promise<void> {}
}

/** What `subscribeToAll` returns: a stream emitting 'confirmation', 'data', 'error' and 'end'. */
export class FakeSubscription extends EventEmitter {
  paused = false;
  unsubscribed = false;
  constructor(readonly options: Record<string, unknown>) {
    super();
  }
  pause() {
    this.paused = true;
  }
  resume() {
    this.paused = false;
  }
  isPaused() {
    return this.paused;
  }
  async unsubscribe() {
    this.unsubscribed = true;
  }
}
