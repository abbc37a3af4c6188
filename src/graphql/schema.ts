import 'reflect-metadata';
import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { buildSchemaSync } from 'type-graphql';
import { MutationResolver } from './resolvers/mutation.js';
import { ClientFieldsResolver, GrantFieldsResolver, QueryResolver, TokenFieldsResolver, UserFieldsResolver } from './resolvers/query.js';
import { DateTimeScalar } from './scalars.js';

let built: GraphQLSchema | undefined;

/** The management schema, built once from the type-graphql classes. */
export function managementSchema(): GraphQLSchema {
  built ??= buildSchemaSync({
    resolvers: [QueryResolver, TokenFieldsResolver, GrantFieldsResolver, ClientFieldsResolver, UserFieldsResolver, MutationResolver],
    scalarsMap: [{ type: Date, scalar: DateTimeScalar }],
    validate: false,
  });
  return built;
}

/** The SDL committed as schema/management.graphql: sorted, so it changes only when the schema does. */
export function managementSdl(): string {
  return `# Emitted by \`npm run schema:graphql\` from src/graphql; do not edit by hand.\n\n${printSchema(lexicographicSortSchema(managementSchema()))}\n`;
}
