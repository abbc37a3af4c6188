import type { ApolloServerPlugin } from '@apollo/server';
import {
  GraphQLError,
  Kind,
  OperationTypeNode,
  getOperationAST,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  type SelectionSetNode,
  type ValidationRule,
} from 'graphql';
import { MAX_NESTING, NestingTooDeep, operationComplexity } from './complexity.js';
import { authorize, type GraphQLContext } from './context.js';

export const MAX_DEPTH = 10;
const MAX_COMPLEXITY = 10_000;

/**
 * Refuses operations nested deeper than `max` fields (introspection fields `__*` are not counted).
 * Linear in the document: each fragment's depth is measured once and remembered, so a document of
 * fragments that each spread two fragments of the next level is not walked along its 2^n paths.
 */
export function depthLimit(max: number): ValidationRule {
  return (context) => {
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const d of context.getDocument().definitions)
      if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
    const measured = new Map<string, number>();
    let nesting = 0;
    const depthOf = (set: SelectionSetNode): number => {
      if (++nesting > MAX_NESTING) throw new NestingTooDeep();
      let deepest = 0;
      for (const s of set.selections) {
        if (s.kind === Kind.FIELD) {
          if (!s.name.value.startsWith('__'))
            deepest = Math.max(deepest, 1 + (s.selectionSet ? depthOf(s.selectionSet) : 0));
        } else if (s.kind === Kind.INLINE_FRAGMENT) {
          deepest = Math.max(deepest, depthOf(s.selectionSet));
        } else {
          deepest = Math.max(deepest, fragmentDepth(s.name.value));
        }
      }
      nesting--;
      return deepest;
    };
    const fragmentDepth = (name: string): number => {
      const known = measured.get(name);
      if (known !== undefined) return known;
      const fragment = fragments.get(name);
      // A cycle (refused by NoFragmentCyclesRule) adds nothing on its way round.
      measured.set(name, 0);
      const depth = fragment ? depthOf(fragment.selectionSet) : 0;
      measured.set(name, depth);
      return depth;
    };
    return {
      OperationDefinition(node) {
        let depth: number;
        try {
          nesting = 0;
          depth = depthOf(node.selectionSet);
        } catch (err) {
          if (!(err instanceof NestingTooDeep)) throw err;
          context.reportError(
            new GraphQLError(err.message, { nodes: [node], extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }),
          );
          return;
        }
        if (depth > max) {
          context.reportError(
            new GraphQLError(`query depth ${depth} exceeds the limit of ${max}`, {
              nodes: [node],
              extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
            }),
          );
        }
      },
    };
  };
}

const tooComplex = (message: string) =>
  new GraphQLError(message, { extensions: { code: 'QUERY_TOO_COMPLEX', http: { status: 400 } } });

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
  const operation = getOperationAST(args.document, args.operationName);
  if (!operation) return;
  let complexity: number;
  try {
    complexity = operationComplexity(args.schema, args.document, operation, args.variables);
  } catch (err) {
    if (err instanceof NestingTooDeep) throw tooComplex(err.message);
    throw err;
  }
  if (complexity > MAX_COMPLEXITY) {
    // Doubling fragments reach numbers past any float: no "Infinity" in the answer.
    const shown = Number.isFinite(complexity) ? ` ${complexity}` : '';
    throw tooComplex(`query complexity${shown} exceeds the limit of ${MAX_COMPLEXITY}`);
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
          if (operation.operation === OperationTypeNode.SUBSCRIPTION) {
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
