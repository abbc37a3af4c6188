import type { Static } from '@sinclair/typebox';
import type { Decider } from '../decider.js';
import { refusalWithReasons } from '../refusal.js';
import type { SealedSecret, SinkEvent } from './events.js';
import { DEFAULT_PARK_AFTER_SECONDS, sinkSettingsProblem, type SinkSettings } from './rules.js';

type Sealed = Static<typeof SealedSecret>;

/** A sink set through GraphQL, as the ledger holds it. */
export interface LedgerSink {
  id: string;
  url: string;
  secret: Sealed;
  types?: string[];
  categories?: string[];
  parkAfterSeconds: number;
}

export interface ParkedSink {
  position: string;
  failingSince: string;
  lastError: string;
}

export interface SinksState {
  sinks: ReadonlyMap<string, LedgerSink>;
  /** Parked sinks by id, the file's included. */
  parked: ReadonlyMap<string, ParkedSink>;
}

/** What every command is judged against beside the state: the file's sinks, and how URLs and types are checked. */
interface SinkRules {
  fileIds: ReadonlySet<string>;
  allowHttpLoopback: boolean;
  eventTypes: ReadonlySet<string>;
}

export type SinkCommand =
  | ({ type: 'SetEventSink'; settings: SinkSettings; secret?: Sealed } & SinkRules)
  | ({ type: 'RemoveEventSink'; id: string } & Pick<SinkRules, 'fileIds'>)
  | { type: 'ParkEventSink'; id: string; position: bigint; failingSince: Date; lastError: string }
  | ({ type: 'ResumeEventSink'; id: string } & Pick<SinkRules, 'fileIds'>);

export class SinkRefused extends refusalWithReasons('SinkRefused', {
  invalid_sink: 'invalid_request',
  invalid_url: 'invalid_request',
  http_not_allowed: 'invalid_request',
  duplicate_sink_id: 'invalid_request',
  sink_in_file: 'invalid_request',
  sink_not_found: 'invalid_request',
  sink_not_parked: 'invalid_request',
}) {}

const without = <V>(map: ReadonlyMap<string, V>, id: string) => new Map([...map].filter(([k]) => k !== id));

function evolve(state: SinksState, e: SinkEvent): SinksState {
  switch (e.type) {
    case 'EventSinkSet':
      return { ...state, sinks: new Map(state.sinks).set(e.data.id, e.data) };
    case 'EventSinkRemoved':
      return { sinks: without(state.sinks, e.data.id), parked: without(state.parked, e.data.id) };
    case 'EventSinkParked': {
      const { id, ...parked } = e.data;
      return { ...state, parked: new Map(state.parked).set(id, parked) };
    }
    case 'EventSinkResumed':
      return { ...state, parked: without(state.parked, e.data.id) };
  }
}

const exists = (state: SinksState, fileIds: ReadonlySet<string>, id: string) => state.sinks.has(id) || fileIds.has(id);

function decideSet(c: Extract<SinkCommand, { type: 'SetEventSink' }>, state: SinksState): SinkEvent[] {
  const problem = sinkSettingsProblem(c.settings, c);
  if (problem) throw new SinkRefused(problem.reason, problem.problem);
  const { id } = c.settings;
  if (c.fileIds.has(id))
    throw new SinkRefused('duplicate_sink_id', `sink ${id} is configured in EVENT_SINKS_FILE; choose another id`);
  const secret = c.secret ?? state.sinks.get(id)?.secret;
  if (!secret) throw new SinkRefused('invalid_sink', `secret: required for the new sink ${id}`);
  const data = {
    id,
    url: c.settings.url,
    secret,
    ...(c.settings.types && { types: c.settings.types }),
    ...(c.settings.categories && { categories: c.settings.categories }),
    parkAfterSeconds: c.settings.parkAfterSeconds ?? DEFAULT_PARK_AFTER_SECONDS,
  };
  return [{ type: 'EventSinkSet', data }];
}

function decide(c: SinkCommand, state: SinksState): SinkEvent[] {
  switch (c.type) {
    case 'SetEventSink':
      return decideSet(c, state);
    case 'RemoveEventSink':
      if (c.fileIds.has(c.id))
        throw new SinkRefused('sink_in_file', `sink ${c.id} is configured in EVENT_SINKS_FILE; remove it there`);
      if (!state.sinks.has(c.id)) throw new SinkRefused('sink_not_found', `sink ${c.id} does not exist`);
      return [{ type: 'EventSinkRemoved', data: { id: c.id } }];
    case 'ParkEventSink':
      // Two processes noticing the same failure record one parking.
      if (state.parked.has(c.id)) return [];
      return [
        {
          type: 'EventSinkParked',
          data: {
            id: c.id,
            position: c.position.toString(),
            failingSince: c.failingSince.toISOString(),
            lastError: c.lastError.slice(0, 500),
          },
        },
      ];
    case 'ResumeEventSink':
      if (!exists(state, c.fileIds, c.id)) throw new SinkRefused('sink_not_found', `sink ${c.id} does not exist`);
      if (!state.parked.has(c.id)) throw new SinkRefused('sink_not_parked', `sink ${c.id} is not parked`);
      return [{ type: 'EventSinkResumed', data: { id: c.id } }];
  }
}

/** The `sinks` stream: webhook sinks set through GraphQL, and which sinks are parked. */
export const sinksDecider: Decider<SinkCommand, SinksState, SinkEvent> = {
  initialState: () => ({ sinks: new Map(), parked: new Map() }),
  evolve,
  decide,
};
