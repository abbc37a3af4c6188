import { Arg, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import { removeEventSink, resumeEventSink, setEventSink, type SinkPorts } from '../../application/eventSinks.js';
import { eventSinkStatuses, type EventSinkStatus } from '../../application/queries/eventSinks.js';
import type { Runtime } from '../../runtime.js';
import { commandContext, type GraphQLContext } from '../context.js';
import { notFound } from '../mappers.js';
import { EventSink, EventSinkInput } from '../sinkTypes.js';
import { checkReason, command } from './mutation.js';

const sinkPorts = (rt: Runtime): SinkPorts => ({
  events: rt.ports.events,
  keyEncryptionSecret: rt.keyEncryptionSecret,
  sinks: rt.config.eventSinks,
});

const toEventSink = (s: EventSinkStatus): EventSink => ({
  id: s.id,
  url: s.url,
  source: s.source,
  types: s.types ?? null,
  categories: s.categories ?? null,
  parkAfterSeconds: s.parkAfterSeconds,
  position: s.position.toString(),
  lag: s.lag.toString(),
  lastError: s.lastError ?? null,
  lastDeliveredAt: s.lastDeliveredAt ?? null,
  failingSince: s.failingSince ?? null,
  parked: s.parked,
});

async function sinkById(rt: Runtime, id: string): Promise<EventSink> {
  const found = (await eventSinkStatuses(sinkPorts(rt), rt.sinkCursors())).find((s) => s.id === id);
  if (!found) throw notFound(`sink ${id} does not exist`);
  return toEventSink(found);
}

const why = (reason: string | null | undefined) => (reason == null ? undefined : checkReason(reason));

/** The outbound feed's sinks (docs/audit-feed.md): thin callers of src/application/eventSinks.ts. */
@Resolver()
export class SinksResolver {
  @Query(() => [EventSink], { description: "Webhook sinks, the file's first, with position, lag and last error" })
  async eventSinks(@Ctx() ctx: GraphQLContext): Promise<EventSink[]> {
    const rt = ctx.runtime;
    return (await eventSinkStatuses(sinkPorts(rt), rt.sinkCursors())).map(toEventSink);
  }

  @Mutation(() => EventSink, { description: 'Creates or replaces a webhook sink; a new one starts at position 0' })
  setEventSink(
    @Arg('input', () => EventSinkInput) input: EventSinkInput,
    @Arg('reason', () => String, { nullable: true }) reason: string | null | undefined,
    @Ctx() ctx: GraphQLContext,
  ): Promise<EventSink> {
    return command(async () => {
      const settings = {
        id: input.id,
        url: input.url,
        ...(input.types != null && { types: input.types }),
        ...(input.categories != null && { categories: input.categories }),
        ...(input.parkAfterSeconds != null && { parkAfterSeconds: input.parkAfterSeconds }),
      };
      const secret = input.secret ?? undefined;
      await setEventSink(sinkPorts(ctx.runtime), { settings, secret }, commandContext(ctx, why(reason)));
      return sinkById(ctx.runtime, input.id);
    });
  }

  @Mutation(() => ID, { description: 'Removes a sink set through GraphQL; answers its id' })
  removeEventSink(
    @Arg('id', () => ID) id: string,
    @Arg('reason', () => String, { nullable: true }) reason: string | null | undefined,
    @Ctx() ctx: GraphQLContext,
  ): Promise<string> {
    return command(async () => {
      await removeEventSink(sinkPorts(ctx.runtime), id, commandContext(ctx, why(reason)));
      return id;
    });
  }

  @Mutation(() => EventSink, { description: 'Resumes a parked sink at its position (nothing was skipped)' })
  resumeEventSink(
    @Arg('id', () => ID) id: string,
    @Arg('reason', () => String, { nullable: true }) reason: string | null | undefined,
    @Ctx() ctx: GraphQLContext,
  ): Promise<EventSink> {
    return command(async () => {
      await resumeEventSink(sinkPorts(ctx.runtime), id, commandContext(ctx, why(reason)));
      return sinkById(ctx.runtime, id);
    });
  }
}
