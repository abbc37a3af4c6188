import { parseMediaRange, splitOutsideQuotes } from '../oauth/introspectionAccept.js';

const GRAPHQL_RESPONSE_TYPE = 'application/graphql-response+json';

/**
 * The weights an Accept header gives HTML and the two GraphQL-over-HTTP JSON types (named explicitly, not by wildcard).
 */
function weights(accept: string | undefined): { html: number; json: number; graphqlResponse: number } {
  const found = { html: 0, json: 0, graphqlResponse: 0 };
  if (!accept) return found;
  for (const element of splitOutsideQuotes(accept, ',')) {
    const range = parseMediaRange(element);
    if (range?.type === 'text/html') found.html = Math.max(found.html, range.q);
    else if (range?.type === 'application/json') found.json = Math.max(found.json, range.q);
    else if (range?.type === GRAPHQL_RESPONSE_TYPE) found.graphqlResponse = Math.max(found.graphqlResponse, range.q);
  }
  return found;
}

/**
 * GET /graphql serves two audiences: a browser asking for a page is sent to GraphiQL, a GraphQL client
 * (graphql-request `method: 'GET'`, Apollo `useGETForQueries`) gets GraphQL-over-HTTP. HTML wins when
 * it is named with at least the weight of the JSON types; otherwise JSON named, or a `query`
 * parameter with no HTML asked for (a `*`/`*` client), means GraphQL.
 */
export function wantsPage(accept: string | undefined, hasQuery: boolean): boolean {
  const w = weights(accept);
  if (w.html > 0 && w.html >= Math.max(w.json, w.graphqlResponse)) return true;
  return !(w.json > 0 || w.graphqlResponse > 0 || hasQuery);
}

/**
 * The media type of an answer written here rather than by Apollo: the GraphQL-over-HTTP one when asked for, else JSON.
 */
export function responseType(accept: string | undefined): string {
  const w = weights(accept);
  return w.graphqlResponse > 0 && w.graphqlResponse >= w.json
    ? `${GRAPHQL_RESPONSE_TYPE}; charset=utf-8`
    : 'application/json; charset=utf-8';
}
