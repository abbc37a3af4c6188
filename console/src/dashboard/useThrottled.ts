import { useEffect, useRef } from 'preact/hooks';

/**
 * A function that calls `fn` at most once per `intervalMs`: a burst of calls becomes one call now (or as soon as
 * the interval allows) and one at the end, never more. Used so a burst of ledger events is one refetch.
 */
export function useThrottled(fn: () => void, intervalMs: number): () => void {
  const latest = useRef(fn);
  latest.current = fn;
  const last = useRef(0);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => () => clearTimeout(timer.current), []);
  return () => {
    if (timer.current !== undefined) return;
    const wait = Math.max(0, last.current + intervalMs - Date.now());
    timer.current = setTimeout(() => {
      timer.current = undefined;
      last.current = Date.now();
      latest.current();
    }, wait);
  };
}
