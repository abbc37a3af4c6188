import 'reflect-metadata';
import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { DateTimeScalar } from './scalars.js';

@ObjectType({ description: 'A webhook sink of the outbound feed and where its delivery stands (never its secret)' })
export class EventSink {
  @Field(() => ID) id!: string;
  @Field(() => String) url!: string;
  @Field(() => String, { description: 'file (EVENT_SINKS_FILE) or ledger (set through GraphQL)' }) source!: string;
  @Field(() => [String], { nullable: true, description: 'Only these event types; null: any' }) types!: string[] | null;
  @Field(() => [String], { nullable: true, description: 'Only these stream categories; null: any' })
  categories!: string[] | null;
  @Field(() => Int) parkAfterSeconds!: number;
  @Field(() => String, { description: 'Last ledger position delivered or filtered out (a decimal integer)' })
  position!: string;
  @Field(() => String, { description: 'Ledger head minus position (a decimal integer)' }) lag!: string;
  @Field(() => String, { nullable: true, description: 'The last failed attempt, until one succeeds' })
  lastError!: string | null;
  @Field(() => DateTimeScalar, { nullable: true }) lastDeliveredAt!: Date | null;
  @Field(() => DateTimeScalar, { nullable: true, description: 'Since when every attempt fails' })
  failingSince!: Date | null;
  @Field(() => Boolean, { description: 'Delivery stopped at position after parkAfterSeconds of failures' })
  parked!: boolean;
}

@InputType({ description: 'A webhook sink: https (http only for loopback with EVENT_SINKS_ALLOW_HTTP_LOOPBACK)' })
export class EventSinkInput {
  @Field(() => ID) id!: string;
  @Field(() => String) url!: string;
  @Field(() => String, {
    nullable: true,
    description: 'Standard Webhooks secret whsec_<base64>; required for a new sink, omitted: kept',
  })
  secret?: string | null;
  @Field(() => [String], { nullable: true }) types?: string[] | null;
  @Field(() => [String], { nullable: true }) categories?: string[] | null;
  @Field(() => Int, { nullable: true, description: 'Seconds of failures before parking; default 86400' })
  parkAfterSeconds?: number | null;
}
