import { v7 as uuidv7 } from 'uuid';
import type { AppendResult, EventStore, ExpectedRevision, NewEvent } from './eventStore.js';
import type { EventCatalogue } from './validation.js';

/** Who asked, and which request or event this command belongs to: becomes every event's metadata. */
export interface CommandContext {
  actor: string;
  correlationId: string;
  causationId?: string | null;
  /** Why, when an operator gave a reason (GraphQL mutations): recorded in the metadata. */
  reason?: string;
}

export interface DomainEvent {
  type: string;
  data: unknown;
}

/**
 * The ledger as the domain sees it: validates every event against its schema before anything is
 * written, and wraps it in the envelope. Event ids are UUIDv7: time-ordered, so the store's id index
 * grows at its right edge instead of at random pages.
 */
export class Ledger {
  constructor(
    readonly store: EventStore,
    readonly catalogue: EventCatalogue,
  ) {}

  /** Throws EventValidationError before writing if any event is invalid: all or nothing. */
  toNewEvents(events: DomainEvent[], ctx: CommandContext): NewEvent[] {
    return events.map((e) => {
      const schemaVersion = this.catalogue.currentVersion(e.type);
      this.catalogue.validate(e.type, schemaVersion, e.data);
      return {
        id: uuidv7(),
        type: e.type,
        data: e.data,
        metadata: {
          actor: ctx.actor,
          correlationId: ctx.correlationId,
          causationId: ctx.causationId ?? null,
          schemaVersion,
          ...(ctx.reason !== undefined ? { reason: ctx.reason } : {}),
        },
      };
    });
  }

  async append(
    stream: string,
    events: DomainEvent[],
    expected: ExpectedRevision,
    ctx: CommandContext,
  ): Promise<AppendResult> {
    return this.store.append(stream, this.toNewEvents(events, ctx), expected);
  }
}
