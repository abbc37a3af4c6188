import 'reflect-metadata';
import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { buildSchemaSync, type PubSub } from 'type-graphql';
import { MutationResolver } from './resolvers/mutation.js';
import { ErasureResolver } from './resolvers/erasure.js';
import { RegistrationResolver } from './resolvers/registration.js';
import { SinksResolver } from './resolvers/sinks.js';
import { SubscriptionResolver } from './resolvers/subscription.js';
import { SecurityEventsResolver } from './resolvers/securityEvents.js';
import {
  ClientFieldsResolver,
  GrantFieldsResolver,
  QueryResolver,
  TokenFieldsResolver,
  UserFieldsResolver,
} from './resolvers/query.js';
import { DateTimeScalar } from './scalars.js';
import { RolesResolver } from './resolvers/roles.js';
import * as consoleResolvers from './resolvers/console.js';

let built: GraphQLSchema | undefined;

const unusedPubSub: PubSub = {
  publish() {
    throw new Error('the management schema has no PubSub topics');
  },
  subscribe() {
    throw new Error('the management schema has no PubSub topics');
  },
};

/** The management schema, built once from the type-graphql classes. */
export function managementSchema(): GraphQLSchema {
  built ??= buildSchemaSync({
    resolvers: [
      QueryResolver,
      TokenFieldsResolver,
      GrantFieldsResolver,
      ClientFieldsResolver,
      UserFieldsResolver,
      MutationResolver,
      RegistrationResolver,
      SinksResolver,
      SubscriptionResolver,
      ErasureResolver,
      SecurityEventsResolver,
      RolesResolver,
      ...Object.values(consoleResolvers),
    ],
    // type-graphql insists on a PubSub once a schema has subscriptions; ours subscribe to the ledger
    // themselves (`subscribe`), so this one is never asked for anything.
    pubSub: unusedPubSub,
    scalarsMap: [{ type: Date, scalar: DateTimeScalar }],
    validate: false,
  });
  return built;
}

/** The SDL committed as schema/management.graphql: sorted, so it changes only when the schema does. */
export function managementSdl(): string {
  return (
    `# Emitted by \`npm run schema:graphql\` from src/graphql; do not edit by hand.\n\n` +
    `${printSchema(lexicographicSortSchema(managementSchema()))}\n`
  );
}
