/**
 * An in-memory stand-in for the `EventStoreDBClient` the EventStoreDB adapter uses, answering with
 * the shapes and error classes of @eventstore/db-client 6.2 (dist/streams/appendToStream/append.js,
 * dist/utils/CommandError.js), so the adapter's decisions can be tested with no server.
 */
import { EventEmitter } from 'node:events';
import {
  BACKWARDS,
  NO_STREAM,
  StreamNotFoundError,
  WrongExpectedVersionError,
  convertToCommandError,
  type EventStoreDBClient,
} from '@eventstore/db-client';

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

/** A gRPC ServiceError as the transport hands it to the client, turned into the client's error class. */
export function grpcError(code: number, details: string): Error {
  return convertToCommandError({ code, details, message: `${code} ${details}` } as never) as Error;
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

  get client(): EventStoreDBClient {
    return this as unknown as EventStoreDBClient;
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

  async appendToStream(stream: string, events: Proposed[], options: { expectedRevision: bigint | typeof NO_STREAM }) {
    const fault = this.fault(stream, this.appendCalls++);
    if (fault && 'before' in fault) throw fault.before;
    const s = this.streams.get(stream);
    const current = s && s.events.length > 0 ? s.events[s.events.length - 1]!.revision : undefined;
    const expected = options.expectedRevision;
    const ok = expected === NO_STREAM ? current === undefined : current === expected;
    if (!ok) {
      if (this.throwOnAppendFailure) {
        throw new WrongExpectedVersionError(undefined, {
          streamName: stream,
          current: current ?? 'no_stream',
          expected,
        } as never);
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

  readStream(
    stream: string,
    options: { direction?: string; fromRevision?: bigint | string; maxCount?: number } & Record<string, unknown>,
  ) {
    this.readOptions.push(options);
    const s = this.streams.get(stream);
    const found = s && s.events.length > 0 ? s.events : undefined;
    return reading(async function* () {
      if (!found) throw new StreamNotFoundError(undefined, stream);
      const max = options.maxCount ?? Number.MAX_SAFE_INTEGER;
      const list =
        options.direction === BACKWARDS
          ? [...found]
              .reverse()
              .filter((e) => typeof options.fromRevision !== 'bigint' || e.revision <= options.fromRevision)
          : found.filter((e) => typeof options.fromRevision !== 'bigint' || e.revision >= options.fromRevision);
      for (const event of list.slice(0, max)) yield { event };
    });
  }

  readAll(options: Record<string, unknown>) {
    this.readOptions.push(options);
    return reading(async function* () {});
  }

  subscribeToAll(options: Record<string, unknown>) {
    this.readOptions.push(options);
    const sub = new FakeSubscription(options);
    this.subscriptions.push(sub);
    return sub;
  }

  async dispose(): Promise<void> {}
}

function reading<T>(items: () => AsyncGenerator<T>) {
  return Object.assign(items(), { cancel: async () => undefined });
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
