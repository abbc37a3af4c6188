import 'graphiql/setup-workers/vite';
// GraphiQL's styles without its CDN bundle (graphiql/style.css repeats Monaco's CSS, which Vite already takes from
// Monaco itself, and carries every Roboto subset inline: 350 KB gzipped). Fira Code stays: the editors name it alone.
import '@graphiql/react/style.css';
import '@graphiql/react/font/fira-code.css';
import '@graphiql/plugin-doc-explorer/style.css';
import '@graphiql/plugin-history/style.css';
import 'graphiql/graphiql.css';
import './page.css';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { Explorer } from './Explorer.js';
import { headersFor, readConsoleSession } from './session.js';

const session = readConsoleSession(sessionStorage);
// GET /graphql?query=… in a browser redirects here with the query kept (src/http/routes/graphql.ts).
const initialQuery = new URLSearchParams(location.search).get('query') ?? undefined;

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <Explorer session={session} headers={headersFor(session)} initialQuery={initialQuery} />
  </StrictMode>,
);
