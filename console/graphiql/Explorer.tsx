import { createGraphiQLFetcher, type Fetcher } from '@graphiql/toolkit';
import { GraphiQL } from 'graphiql';
import { useMemo } from 'react';
import type { ConsoleSession } from './session.js';
import { tokenFreeStorage } from './tokenFreeStorage.js';

const DEFAULT_QUERY = `# The management API (docs/graphql.md). Ctrl-Space completes, Ctrl-Enter runs; the book icon opens the docs.
query Tokens {
  tokens(first: 10) {
    totalCount
    edges { node { jti kind clientId subject status issuedAt expiresAt } }
    pageInfo { hasNextPage endCursor }
  }
}
`;

function Notice({ session }: { session: ConsoleSession }) {
  if (session.state === 'signed-in') return null;
  const why =
    session.state === 'expired' ? 'Your console session has expired.' : 'You are not signed in to the console.';
  return (
    <p className="tl-notice" role="status">
      {why} <a href="/console/">Sign in to the console</a> to have your token filled in, or paste an access token (scope{' '}
      <code>ledger:audit</code> or <code>ledger:admin</code>) into the Headers tab below.
    </p>
  );
}

export function Explorer(props: { session: ConsoleSession; headers: string; initialQuery?: string }) {
  const { session, headers, initialQuery } = props;
  const fetcher = useMemo((): Fetcher => {
    const ws = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const base = createGraphiQLFetcher({
      url: '/graphql',
      // Subscriptions (ledgerEvents) over graphql-ws on the same path; the headers editor's Authorization goes into
      // connectionParams, which is where the server reads it (src/http/routes/graphqlWs.ts).
      subscriptionUrl: `${ws}//${location.host}/graphql`,
      // The server answers with one JSON body; no multipart/mixed to parse.
      enableIncrementalDelivery: false,
    });
    // GraphiQL fetches the schema as it starts, before the headers editor exists: that request gets the headers the
    // editor starts with. Every other request sends exactly what the editor holds.
    const initial = JSON.parse(headers) as Record<string, string>;
    return (params, options) =>
      base(
        params,
        options?.headers || params.operationName !== 'IntrospectionQuery' ? options : { ...options, headers: initial },
      );
  }, [headers]);
  const secret = session.state === 'signed-in' ? session.accessToken : undefined;
  const storage = useMemo(() => tokenFreeStorage(localStorage, headers, secret), [headers, secret]);
  return (
    <div className="tl-page">
      <h1 className="tl-visually-hidden">GraphQL explorer · token-ledger</h1>
      <Notice session={session} />
      <main className="tl-explorer" aria-label="GraphQL explorer">
        <GraphiQL
          fetcher={fetcher}
          storage={storage}
          defaultQuery={DEFAULT_QUERY}
          initialQuery={initialQuery}
          initialHeaders={headers}
          defaultHeaders={headers}
          shouldPersistHeaders={false}
          showPersistHeadersSettings={false}
          defaultEditorToolsVisibility="headers"
        >
          <GraphiQL.Logo>token-ledger</GraphiQL.Logo>
        </GraphiQL>
      </main>
    </div>
  );
}
