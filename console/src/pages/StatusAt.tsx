import { useId, useState } from 'preact/hooks';
import { gql } from '../app/api.js';
import { localInputValue, when } from './format.js';

const STATUS_AT = `query TokenStatusAt($jti: ID!, $at: DateTime!) { tokenStatusAt(jti: $jti, at: $at) }`;

/** "What would a resource server have been told at this moment?", folded by the server from the token's events. */
export function StatusAt({ jti }: { jti: string }) {
  const id = useId();
  const [value, setValue] = useState(() => localInputValue(new Date()));
  const [answer, setAnswer] = useState<string>('');
  const check = async (event: Event) => {
    event.preventDefault();
    const at = new Date(value);
    if (Number.isNaN(at.getTime())) return setAnswer('Pick a date and time.');
    try {
      const r = await gql<{ tokenStatusAt: string | null }>(STATUS_AT, { jti, at: at.toISOString() });
      const status = r.tokenStatusAt ? r.tokenStatusAt.toLowerCase() : 'not yet issued';
      setAnswer(`At ${when(at.toISOString())}: ${status}`);
    } catch (err) {
      setAnswer((err as Error).message);
    }
  };
  return (
    <form class="inline-form" onSubmit={(e) => void check(e)}>
      <label for={`${id}-at`}>Status at (your local time)</label>
      <input
        id={`${id}-at`}
        type="datetime-local"
        step={1}
        value={value}
        onInput={(e) => setValue(e.currentTarget.value)}
        required
      />
      <button type="submit">Check</button>
      <output for={`${id}-at`} aria-live="polite" class="status-at">
        {answer}
      </output>
    </form>
  );
}
