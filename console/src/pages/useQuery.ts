import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { gql } from '../app/api.js';

interface QueryState<T> {
  data?: T;
  error?: Error;
  loading: boolean;
  /** Runs the query again: after a mutation, the server answers with what it just wrote (read-your-writes). */
  reload: () => Promise<void>;
}

/** One GraphQL query for a page, run again whenever its variables change; a late answer to old ones is dropped. */
export function useQuery<T>(query: string, variables: Record<string, unknown>): QueryState<T> {
  const key = JSON.stringify(variables);
  const [state, setState] = useState<{ data?: T; error?: Error; loading: boolean }>({ loading: true });
  const latest = useRef(0);
  const reload = useCallback(async () => {
    const run = ++latest.current;
    setState((s) => ({ ...s, loading: true }));
    try {
      const data = await gql<T>(query, JSON.parse(key) as Record<string, unknown>);
      if (run === latest.current) setState({ data, loading: false });
    } catch (err) {
      if (run === latest.current) setState((s) => ({ data: s.data, error: err as Error, loading: false }));
    }
  }, [query, key]);
  useEffect(() => {
    void reload();
  }, [reload]);
  return { ...state, reload };
}
