import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError, Kind, getNamedType, getNullableType, isListType, type DocumentNode, type FragmentDefinitionNode, type GraphQLSchema, type SelectionSetNode, type ValidationRule } from 'graphql';
import { createRequire } from 'node:module';
import type { ComplexityEstimator } from 'graphql-query-complexity';
import { authorize, type GraphQLContext } from './context.js';
import { DEFAULT_PAGE, MAX_PAGE } from './mappers.js';

// Its ESM build imports graphql/index.mjs, a second copy of graphql next to the CommonJS one every
// other module here uses ("Cannot use GraphQLObjectType from another module or realm"): load its
// CommonJS build, which shares ours.
const { getComplexity, simpleEstimator } = createRequire(import.meta.url)('graphql-query-complexity') as typeof import('graphql-query-complexity');

export const MAX_DEPTH = 10;
export const MAX_COMPLEXITY = 10_000;

/** Refuses operations nested deeper than `max` fields (introspection fields `__*` are not counted). */
export function depthLimit(max: number): ValidationRule {
  return (context) => {
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const d of context.getDocument().definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
    const depthOf = (set: SelectionSetNode | undefined, depth: number, seen: Set<string>): number => {
      if (!set) return depth;
      let deepest = depth;
      for (const s of set.selections) {
        if (s.kind === Kind.FIELD) {
          if (!s.name.value.startsWith('__')) deepest = Math.max(deepest, depthOf(s.selectionSet, depth + 1, seen));
        } else if (s.kind === Kind.INLINE_FRAGMENT) {
          deepest = Math.max(deepest, depthOf(s.selectionSet, depth, seen));
        } else if (!seen.has(s.name.value)) {
          const f = fragments.get(s.name.value);
          if (f) deepest = Math.max(deepest, depthOf(f.selectionSet, depth, new Set([...seen, s.name.value])));
        }
      }
      return deepest;
    };
    return {
      OperationDefinition(node) {
        const depth = depthOf(node.selectionSet, 0, new Set());
        if (depth > max) {
          context.reportError(new GraphQLError(`query depth ${depth} exceeds the limit of ${max}`, { nodes: [node], extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }));
        }
      },
    };
  };
}

/** What an unpaged list (a grant's tokens, an entity's history) is assumed to hold: the schema does not bound it. */
export const UNPAGED_LIST_ITEMS = 5;

/**
 * A page of `first` items costs its items' complexity `first` times (at most the page cap; the
 * default page when `first` is omitted). An unpaged list costs its items' complexity
 * UNPAGED_LIST_ITEMS times, so that lists nested in lists (tokens → grant → tokens → grant → tokens)
 * multiply instead of adding up: counted once each, a 10-deep query over one 52-token grant answered
 * 347 MB in 87 s.
 */
const pageEstimator: ComplexityEstimator = ({ args, childComplexity, field, type }) => {
  if ('first' in args || getNamedType(field.type).name.endsWith('Connection')) {
    const first = typeof args.first === 'number' ? Math.min(Math.max(args.first, 0), MAX_PAGE) : DEFAULT_PAGE;
    return 1 + childComplexity * first;
  }
  // A connection's edges are the page counted above; introspection is bounded by graphql-js itself.
  if (type.name.endsWith('Connection') || type.name.startsWith('__')) return undefined;
  if (isListType(getNullableType(field.type))) return 1 + childComplexity * UNPAGED_LIST_ITEMS;
  return undefined;
};

/** Refuses a caller whose token or scope does not allow the operation, then one too complex. */
export function checkOperation(args: {
  operator: GraphQLContext['operator'];
  operation: 'query' | 'mutation' | 'subscription';
  schema: GraphQLSchema;
  document: DocumentNode;
  variables: Record<string, unknown>;
  operationName?: string | undefined;
}): void {
  authorize(args.operator, args.operation);
  let complexity: number;
  try {
    complexity = getComplexity({
      schema: args.schema,
      query: args.document,
      variables: args.variables,
      ...(args.operationName ? { operationName: args.operationName } : {}),
      estimators: [pageEstimator, simpleEstimator({ defaultComplexity: 1 })],
    });
  } catch (err) {
    // Variables that do not coerce (a required one missing, a wrong type): counting needs their
    // values, so it fails first; answer what execution would have, not a 500.
    if (err instanceof GraphQLError) {
      const code = /maximum allowed number of nodes/.test(err.message) ? 'QUERY_TOO_COMPLEX' : 'BAD_USER_INPUT';
      throw new GraphQLError(err.message, { nodes: err.nodes, extensions: { code, http: { status: 400 } } });
    }
    throw err;
  }
  if (complexity > MAX_COMPLEXITY) {
    throw new GraphQLError(`query complexity ${complexity} exceeds the limit of ${MAX_COMPLEXITY}`, {
      extensions: { code: 'QUERY_TOO_COMPLEX', http: { status: 400 } },
    });
  }
}

/**
 * Before any resolver runs: the caller's token and scope (audit queries, admin also mutates), then the
 * operation's complexity. A refusal here answers errors only, no data.
 */
export function guardPlugin(): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ contextValue, operation, schema, document, request }) {
          // No operation by that operationName: Apollo refuses it (OPERATION_RESOLUTION_FAILURE) and
          // runs nothing; counting it would trip over the document's anonymous operation.
          if (!operation) return;
          // Over HTTP a subscription field would run as a query and fail inside its resolver.
          if (operation.operation === 'subscription') {
            throw new GraphQLError('subscriptions are served over WebSocket (graphql-ws) at /graphql', {
              extensions: { code: 'BAD_REQUEST', http: { status: 400 } },
            });
          }
          checkOperation({
            operator: contextValue.operator,
            operation: operation.operation,
            schema,
            document,
            variables: request.variables ?? {},
            operationName: request.operationName ?? undefined,
          });
        },
      };
    },
  };
}
