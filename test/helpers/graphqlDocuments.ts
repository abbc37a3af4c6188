/**
 * Documents that are small to send and costly to walk naively (issue 15): each names the trap it sets
 * for a validation rule that walks per path or per pair instead of per node.
 */

/** `fragment A{i} on {type} { ...A{i+1} ...B{i+1} }`, same for B{i}: 2^levels paths through 2 × levels fragments. */
export function doublingFragments(levels: number, type = 'Query', leaf = 'signingKeys { kid }'): string {
  const operation = type === 'Mutation' ? 'mutation' : 'query';
  let doc = `${operation} Doubling { ...A0 ...B0 }\n`;
  for (let i = 0; i < levels; i++)
    for (const f of ['A', 'B']) doc += `fragment ${f}${i} on ${type} { ...A${i + 1} ...B${i + 1} }\n`;
  return `${doc}fragment A${levels} on ${type} { ${leaf} }\nfragment B${levels} on ${type} { ${leaf} }\n`;
}

/** The other known traps, each about `n` repetitions. */
export const traps = {
  doublingFragments,
  /** One field under many aliases (OverlappingFieldsCanBeMerged compares them pairwise). */
  aliases: (n: number) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: signingKeys { kid }`).join(' ')} }`,
  /** The same field and alias many times. */
  sameField: (n: number) => `{ ${'signingKeys { kid } '.repeat(n)}}`,
  /** Lists of selections nested in lists: tokens → grant → tokens → … */
  nestedLists: (n: number) => `{ token(jti: "x") { ${'grant { tokens { '.repeat(n)}jti${' } }'.repeat(n)} } }`,
  /** Many fragments, each spread once. */
  manyFragments: (n: number) =>
    `{ ${Array.from({ length: n }, (_, i) => `...F${i}`).join(' ')} } ${Array.from({ length: n }, (_, i) => `fragment F${i} on Query { signingKeys { kid } }`).join(' ')}`,
  /** A chain of fragments, each spreading the next. */
  fragmentChain: (n: number) =>
    `{ ...F0 } ${Array.from({ length: n }, (_, i) => `fragment F${i} on Query { ${i + 1 < n ? `...F${i + 1}` : 'signingKeys { kid }'} }`).join(' ')}`,
  /** One directive repeated on one field. */
  repeatedDirectives: (n: number) => `{ signingKeys ${'@include(if: true) '.repeat(n)}{ kid } }`,
};
