import {
  GraphQLError,
  GraphQLIncludeDirective,
  GraphQLSkipDirective,
  Kind,
  OperationTypeNode,
  SchemaMetaFieldDef,
  TypeMetaFieldDef,
  TypeNameMetaFieldDef,
  getArgumentValues,
  getDirectiveValues,
  getNamedType,
  getNullableType,
  getVariableValues,
  isAbstractType,
  isCompositeType,
  isInterfaceType,
  isListType,
  isObjectType,
  type DirectiveNode,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { DEFAULT_PAGE, MAX_PAGE } from './mappers.js';
import { activityBucketCount, MAX_ACTIVITY_BUCKETS } from '../application/queries/activity.js';

/** What an unpaged list (a grant's tokens, an entity's history) is assumed to hold: the schema does not bound it. */
const UNPAGED_LIST_ITEMS = 5;

/**
 * Selection sets nested deeper than this, fragments included, are refused before they are walked:
 * the walks recurse, and a chain of thousands of fragments must not exhaust the stack.
 */
export const MAX_NESTING = 256;

export class NestingTooDeep extends Error {
  constructor() {
    super(`selections are nested deeper than ${MAX_NESTING} levels (fragments included)`);
  }
}

/**
 * A field's cost. A page of `first` items costs its items' complexity `first` times (at most the page
 * cap; the default page when `first` is omitted). An unpaged list costs its items' complexity
 * UNPAGED_LIST_ITEMS times, so that lists nested in lists (tokens → grant → tokens → grant → tokens)
 * multiply instead of adding up: counted once each, a 10-deep query over one 52-token grant answered
 * 347 MB in 87 s. Everything else costs 1 plus its selections.
 */
/**
 * A whole-ledger run (verifyLedger, replayDigest) reads every event: half the limit, so a document holds one, and
 * aliases cannot ask for two (the second would be refused as busy anyway, after the first had run).
 */
const LEDGER_RUN_COST = 5000;

/** The buckets `activity` would answer (at most MAX_ACTIVITY_BUCKETS; more are refused when it runs). */
function activityBuckets(args: Record<string, unknown>): number {
  if (!(args.since instanceof Date)) return 1;
  const until = args.until instanceof Date ? { until: args.until } : {};
  const bucketSeconds = typeof args.bucketSeconds === 'number' && args.bucketSeconds >= 60 ? args.bucketSeconds : 60;
  const n = activityBucketCount({ since: args.since, bucketSeconds, ...until }, Date.now());
  return Math.min(Math.max(n, 1), MAX_ACTIVITY_BUCKETS);
}

function fieldCost(
  parent: GraphQLCompositeType,
  field: GraphQLField<unknown, unknown>,
  args: Record<string, unknown>,
  childComplexity: number,
): number {
  if (parent.name === 'Query' && (field.name === 'verifyLedger' || field.name === 'replayDigest'))
    return LEDGER_RUN_COST + childComplexity;
  // A list as long as the range asks for: linear in its buckets.
  if (parent.name === 'Query' && field.name === 'activity') return 1 + childComplexity * activityBuckets(args);
  if ('first' in args || getNamedType(field.type).name.endsWith('Connection')) {
    const first = typeof args.first === 'number' ? Math.min(Math.max(args.first, 0), MAX_PAGE) : DEFAULT_PAGE;
    return 1 + childComplexity * first;
  }
  // A connection's edges are the page counted above; introspection is bounded by graphql-js itself.
  if (parent.name.endsWith('Connection') || parent.name.startsWith('__')) return 1 + childComplexity;
  if (isListType(getNullableType(field.type))) return 1 + childComplexity * UNPAGED_LIST_ITEMS;
  return 1 + childComplexity;
}

const badInput = (err: unknown) =>
  err instanceof GraphQLError
    ? new GraphQLError(err.message, { nodes: err.nodes, extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } } })
    : err;

/**
 * The operation's estimated cost, in time linear in the document: each fragment is costed once and
 * remembered, so fragments that each spread two fragments of the next level cost 2 × 20 walks at 20
 * levels, not 2^20 (graphql-query-complexity re-walks a fragment at every spread). Throws
 * BAD_USER_INPUT for variables or arguments that do not coerce, NestingTooDeep for runaway nesting.
 */
export function operationComplexity(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  inputs: Record<string, unknown>,
): number {
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], inputs);
  if (coerced.errors) throw badInput(coerced.errors[0]);
  const variables = coerced.coerced;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const costed = new Map<string, number>();
  let nesting = 0;

  const possibleTypeNames = (type: GraphQLCompositeType) =>
    isAbstractType(type) ? schema.getPossibleTypes(type).map((t) => t.name) : [type.name];
  const included = (node: { directives?: readonly DirectiveNode[] | undefined }) => {
    if (!node.directives?.length) return true;
    try {
      if (getDirectiveValues(GraphQLSkipDirective, node, variables)?.if === true) return false;
      return getDirectiveValues(GraphQLIncludeDirective, node, variables)?.if !== false;
    } catch (err) {
      throw badInput(err);
    }
  };
  const fieldDef = (type: GraphQLCompositeType, node: FieldNode): GraphQLField<unknown, unknown> | undefined => {
    const name = node.name.value;
    if (name === SchemaMetaFieldDef.name) return SchemaMetaFieldDef;
    if (name === TypeMetaFieldDef.name) return TypeMetaFieldDef;
    if (name === TypeNameMetaFieldDef.name) return TypeNameMetaFieldDef;
    return isObjectType(type) || isInterfaceType(type) ? type.getFields()[name] : undefined;
  };

  /** The most expensive of the possible types' sums, as graphql-query-complexity counts it. */
  const selectionCost = (set: SelectionSetNode, type: GraphQLCompositeType): number => {
    if (++nesting > MAX_NESTING) throw new NestingTooDeep();
    const sums = new Map<string, number>();
    const add = (cost: number, typeNames: string[]) => {
      for (const name of typeNames) sums.set(name, (sums.get(name) ?? 0) + cost);
    };
    for (const s of set.selections) {
      if (!included(s)) continue;
      if (s.kind === Kind.FIELD) {
        const field = fieldDef(type, s);
        if (!field) continue; // an unknown field: validation has refused it
        let args: Record<string, unknown>;
        try {
          args = getArgumentValues(field, s, variables);
        } catch (err) {
          throw badInput(err);
        }
        const named = getNamedType(field.type);
        const child = s.selectionSet && isCompositeType(named) ? selectionCost(s.selectionSet, named) : 0;
        add(fieldCost(type, field, args, child), possibleTypeNames(type));
      } else if (s.kind === Kind.INLINE_FRAGMENT) {
        const condition = s.typeCondition ? schema.getType(s.typeCondition.name.value) : type;
        if (!isCompositeType(condition)) continue;
        add(selectionCost(s.selectionSet, condition), possibleTypeNames(condition));
      } else {
        const fragment = fragments.get(s.name.value);
        const condition = fragment && schema.getType(fragment.typeCondition.name.value);
        if (!fragment || !isCompositeType(condition)) continue;
        add(fragmentCost(fragment, condition), possibleTypeNames(condition));
      }
    }
    nesting--;
    return Math.max(0, ...sums.values());
  };

  const fragmentCost = (fragment: FragmentDefinitionNode, condition: GraphQLCompositeType): number => {
    const name = fragment.name.value;
    const known = costed.get(name);
    if (known !== undefined) return known;
    // A cycle (refused by validation) costs nothing on its way round.
    costed.set(name, 0);
    const cost = selectionCost(fragment.selectionSet, condition);
    costed.set(name, cost);
    return cost;
  };

  const root =
    operation.operation === OperationTypeNode.QUERY
      ? schema.getQueryType()
      : operation.operation === OperationTypeNode.MUTATION
        ? schema.getMutationType()
        : schema.getSubscriptionType();
  return root ? selectionCost(operation.selectionSet, root) : 0;
}
