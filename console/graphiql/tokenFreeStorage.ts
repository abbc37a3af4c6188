/**
 * GraphiQL's storage (tabs, history, favourites, pane sizes) in localStorage, with every request's headers taken out
 * before a write: the history plugin saves each run's headers even when `shouldPersistHeaders` is false, and a saved
 * Authorization header would outlive the console session (the token lives in sessionStorage only). Responses are
 * taken out too: a mutation's answer can hold a secret (rotateClientSecret). On read, entries get this page's headers
 * back, so a tab or history item restored from an earlier visit runs with the current session's token.
 */
const BLOCKED = new Set(['graphiql:headers', 'graphiql:shouldPersistHeaders']);
/** The values holding tabs or history entries (JSON); the others (query text, pane sizes, theme) pass unchanged. */
const ENTRIES = new Set(['graphiql:tabState', 'graphiql:queries', 'graphiql:favorites']);
const NAMESPACE = 'graphiql:';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function map(value: Json, fix: (entry: { [key: string]: Json }) => void): Json {
  if (Array.isArray(value)) return value.map((item) => map(item, fix));
  if (value === null || typeof value !== 'object') return value;
  const copy: { [key: string]: Json } = {};
  for (const [key, item] of Object.entries(value)) copy[key] = map(item, fix);
  fix(copy);
  return copy;
}

function parse(text: string): Json | undefined {
  try {
    return JSON.parse(text) as Json;
  } catch {
    return undefined;
  }
}

/** An entry is a tab or a history item when it has a query. */
const isEntry = (entry: { [key: string]: Json }) => 'query' in entry;

export function tokenFreeStorage(backing: Storage, headers: string, secret: string | undefined): Storage {
  return {
    getItem(key) {
      if (BLOCKED.has(key)) return null;
      const text = backing.getItem(key);
      const json = text === null || !ENTRIES.has(key) ? undefined : parse(text);
      if (json === undefined) return text;
      return JSON.stringify(
        map(json, (entry) => {
          if (isEntry(entry) && entry.headers == null) entry.headers = headers;
        }),
      );
    },
    setItem(key, value) {
      if (BLOCKED.has(key)) return;
      const json = ENTRIES.has(key) ? parse(value) : undefined;
      const stored =
        json === undefined
          ? value
          : JSON.stringify(
              map(json, (entry) => {
                if ('headers' in entry) entry.headers = null;
                if ('response' in entry) entry.response = null;
              }),
            );
      // Whatever shape a future GraphiQL stores, the token itself never reaches the disk.
      if (secret && stored.includes(secret)) return;
      backing.setItem(key, stored);
    },
    removeItem: (key) => backing.removeItem(key),
    // GraphiQL's own keys only: the origin's other pages keep theirs.
    clear() {
      const keys = Array.from({ length: backing.length }, (_, i) => backing.key(i));
      for (const key of keys) if (key?.startsWith(NAMESPACE)) backing.removeItem(key);
    },
    key: (index) => backing.key(index),
    get length() {
      return backing.length;
    },
  };
}
