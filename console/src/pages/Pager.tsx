import { useState } from 'preact/hooks';
import type { PageInfo } from './types.js';

/** Cursor paging (forward cursors only): remembers where each page started, so "Previous" goes back. */
export function usePager() {
  const [starts, setStarts] = useState<(string | null)[]>([null]);
  const after = starts[starts.length - 1];
  return {
    after,
    page: starts.length,
    next: (info: PageInfo) => info.endCursor && setStarts((s) => [...s, info.endCursor]),
    previous: () => setStarts((s) => (s.length > 1 ? s.slice(0, -1) : s)),
  };
}

export function Pager(props: { label: string; info: PageInfo; pager: ReturnType<typeof usePager> }) {
  const { pager, info } = props;
  return (
    <nav class="pager" aria-label={props.label}>
      <button type="button" class="secondary" disabled={pager.page === 1} onClick={pager.previous}>
        Previous
      </button>
      <span>Page {pager.page}</span>
      <button type="button" class="secondary" disabled={!info.hasNextPage} onClick={() => pager.next(info)}>
        Next
      </button>
    </nav>
  );
}
