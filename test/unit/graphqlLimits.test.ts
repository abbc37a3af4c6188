import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { getOperationAST, Kind, parse, validate, type ASTNode, type DocumentNode } from 'graphql';
import { operationComplexity } from '../../src/graphql/complexity.js';
import { depthLimit, MAX_DEPTH } from '../../src/graphql/limits.js';
import { managementSchema } from '../../src/graphql/schema.js';
import { traps } from '../helpers/graphqlDocuments.js';

/**
 * Counts how often anything reads a selection set's selections: a walk linear in the document reads
 * each set a bounded number of times, a walk per path (or per pair) reads them 2^n (or n²) times.
 * Counted rather than timed, so a busy machine cannot make it pass or fail.
 */
function instrumented(source: string): { document: DocumentNode; sets: number; reads: () => number } {
  const document = parse(source);
  let sets = 0;
  let reads = 0;
  const visit = (node: unknown) => {
    if (!node || typeof node !== 'object') return;
    if (Array.isArray(node)) return node.forEach(visit);
    const n = node as ASTNode & Record<string, unknown>;
    if (n.kind === Kind.SELECTION_SET) {
      sets++;
      const selections = n.selections;
      Object.defineProperty(n, 'selections', { get: () => (reads++, selections), enumerable: true });
      selections.forEach(visit);
      return;
    }
    for (const [key, value] of Object.entries(n)) if (key !== 'loc') visit(value);
  };
  visit(document);
  return { document, sets, reads: () => reads };
}

const schema = managementSchema();

/** Reads the depth rule adds to a validation that runs no rule at all (which still visits every node once). */
function depthRuleReads(source: string): { sets: number; extra: number } {
  const bare = instrumented(source);
  validate(schema, bare.document, []);
  const ruled = instrumented(source);
  validate(schema, ruled.document, [depthLimit(MAX_DEPTH)]);
  return { sets: ruled.sets, extra: ruled.reads() - bare.reads() };
}

function complexityReads(source: string): { sets: number; reads: number } {
  const { document, sets, reads } = instrumented(source);
  try {
    operationComplexity(schema, document, getOperationAST(document)!, {});
  } catch {
    // Refused for nesting: what matters is how much it read before.
  }
  return { sets, reads: reads() };
}

describe('GraphQL custom rules are linear in the document (issue 15)', () => {
  const cases: Array<[string, string]> = [
    ['doubling fragments, 20 levels', traps.doublingFragments(20)],
    ['doubling fragments, 30 levels', traps.doublingFragments(30)],
    ['2000 aliases of one field', traps.aliases(2000)],
    ['2000 copies of one field', traps.sameField(2000)],
    ['lists nested 200 deep', traps.nestedLists(200)],
    ['2000 fragments', traps.manyFragments(2000)],
    ['a chain of 2000 fragments', traps.fragmentChain(2000)],
    ['a directive repeated 2000 times', traps.repeatedDirectives(2000)],
  ];

  for (const [name, source] of cases) {
    it(`the depth rule reads each selection set at most once: ${name}`, () => {
      const { sets, extra } = depthRuleReads(source);
      assert.ok(extra <= sets, `${extra} reads of ${sets} selection sets`);
    });

    it(`the complexity count reads each selection set at most once: ${name}`, () => {
      const { sets, reads } = complexityReads(source);
      assert.ok(reads <= sets, `${reads} reads of ${sets} selection sets`);
    });
  }

  it('doubling fragments still count as the work they describe: too deep or too complex, never cheap', () => {
    const document = parse(traps.doublingFragments(30));
    assert.ok(operationComplexity(schema, document, getOperationAST(document)!, {}) > 2 ** 30);
    const deep = parse(traps.nestedLists(20));
    assert.match(
      validate(schema, deep, [depthLimit(MAX_DEPTH)])[0]?.message ?? '',
      /query depth 4\d exceeds the limit of 10/,
    );
  });
});
