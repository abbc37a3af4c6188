import { post } from './faultsServer.js';

/**
 * What the clients were told, kept outside the server: a token is in `issued` only after its 200
 * arrived, a revocation in `revokeAcked` only after its 200. The server may be killed at any moment,
 * so whatever was in flight then is neither.
 */
export class Journal {
  /** Acknowledged access tokens, in the order their 200s arrived. */
  readonly issued: string[] = [];
  readonly revokeAttempted = new Set<string>();
  readonly revokeAcked = new Set<string>();
  /** Acknowledged tokens no revocation has been tried on yet. */
  readonly revocable: string[] = [];
  /** Requests that got no answer (the server died under them). */
  unanswered = 0;
  /** 503 + Retry-After: refused, so not acknowledged (e.g. the views lagged past their wait on a loaded machine). */
  refused = 0;
  /** Answers that were neither 200, nor a refusal, nor a dropped connection: must stay empty. */
  readonly unexpected: string[] = [];

  takeRevocable(): string | undefined {
    if (this.revocable.length === 0) return undefined;
    const i = Math.floor(Math.random() * this.revocable.length);
    const token = this.revocable[i];
    this.revocable[i] = this.revocable[this.revocable.length - 1]!;
    this.revocable.pop();
    return token;
  }
}

const isRefusal = (res: { status: number; headers: Headers }) =>
  res.status === 503 && res.headers.get('retry-after') !== null;

export interface Load {
  /** Stops the clients and waits for their last requests to settle. */
  stop(): Promise<void>;
}

/**
 * `concurrency` clients that each loop: with probability `revokeShare` revoke (RFC 7009) a token
 * issued earlier, else ask for a new one with client credentials. Runs until stopped.
 */
export function driveLoad(
  url: string,
  auth: Record<string, string>,
  journal: Journal,
  { concurrency = 8, revokeShare = 0.3 } = {},
): Load {
  let stopped = false;
  const client = async () => {
    while (!stopped) {
      const token = Math.random() < revokeShare ? journal.takeRevocable() : undefined;
      try {
        if (token !== undefined) {
          journal.revokeAttempted.add(token);
          const res = await post(`${url}/revoke`, { token }, auth);
          if (res.status === 200) journal.revokeAcked.add(token);
          else if (isRefusal(res)) journal.refused += 1;
          else journal.unexpected.push(`revoke ${res.status} ${JSON.stringify(res.body)}`);
        } else {
          const res = await post(`${url}/token`, { grant_type: 'client_credentials' }, auth);
          if (res.status === 200) {
            journal.issued.push(res.body.access_token);
            journal.revocable.push(res.body.access_token);
          } else if (isRefusal(res)) journal.refused += 1;
          else journal.unexpected.push(`token ${res.status} ${JSON.stringify(res.body)}`);
        }
      } catch {
        // The connection died with the server: the outcome is unknown, so nothing is recorded.
        journal.unanswered += 1;
        if (!stopped) await new Promise((r) => setTimeout(r, 5));
      }
    }
  };
  const clients = Array.from({ length: concurrency }, client);
  return {
    async stop() {
      stopped = true;
      await Promise.all(clients);
    },
  };
}

export interface Reconciled {
  checked: number;
  /** Acknowledged tokens the server no longer knows as active, though no revocation was tried. */
  lost: string[];
  /** Acknowledged revocations whose token is active again. */
  resurrected: string[];
  /** Every introspection answer, by token, to compare two servers' views. */
  answers: Map<string, unknown>;
}

/** Introspects each token and checks it against the journal. */
export async function reconcile(
  url: string,
  rsAuth: Record<string, string>,
  tokens: Iterable<string>,
  journal: Journal,
  concurrency = 8,
): Promise<Reconciled> {
  const queue = [...new Set(tokens)];
  const out: Reconciled = { checked: queue.length, lost: [], resurrected: [], answers: new Map() };
  const worker = async () => {
    for (let token = queue.pop(); token !== undefined; token = queue.pop()) {
      const res = await post(`${url}/introspect`, { token }, rsAuth);
      if (res.status !== 200) throw new Error(`introspection answered ${res.status}: ${JSON.stringify(res.body)}`);
      out.answers.set(token, res.body);
      if (journal.revokeAcked.has(token)) {
        if (res.body.active !== false) out.resurrected.push(token);
      } else if (!journal.revokeAttempted.has(token) && res.body.active !== true) out.lost.push(token);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return out;
}
