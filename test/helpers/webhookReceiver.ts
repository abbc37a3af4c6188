import { createServer, type IncomingMessage, type Server } from 'node:http';
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

export interface Received {
  id: string;
  body: string;
  event: { id: string; type: string; ledgerposition: string; [k: string]: unknown };
  contentType: string | undefined;
  verified: boolean;
}

/** What the receiver does with the nth request (0-based): answer 2xx, answer 500, or never answer. */
export type Behaviour = (n: number) => 'ok' | 'fail' | 'hang';

export const newSecret = () => `whsec_${randomBytes(32).toString('base64')}`;

const bodyOf = (req: IncomingMessage) =>
  new Promise<string>((resolve) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => resolve(body));
  });

/** A Standard Webhooks receiver on a loopback port: verifies each signature and keeps what was accepted. */
export async function startReceiver(secret: string, behaviour: Behaviour = () => 'ok') {
  const webhook = new Webhook(secret);
  /** Every request that got a 2xx, in arrival order. */
  const accepted: Received[] = [];
  let requests = 0;
  let waiters: Array<() => void> = [];
  const state = { behaviour };
  const server: Server = createServer((req, res) => {
    void bodyOf(req).then((body) => {
      const n = requests++;
      const mode = state.behaviour(n);
      if (mode === 'hang') return;
      if (mode === 'fail') return res.writeHead(500).end('down');
      let verified = true;
      try {
        webhook.verify(body, req.headers as Record<string, string>);
      } catch {
        verified = false;
      }
      accepted.push({
        id: String(req.headers['webhook-id']),
        body,
        event: JSON.parse(body) as Received['event'],
        contentType: req.headers['content-type'],
        verified,
      });
      res.writeHead(204).end();
      const w = waiters;
      waiters = [];
      for (const resolve of w) resolve();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/hook`,
    accepted,
    get requests() {
      return requests;
    },
    set behaviour(b: Behaviour) {
      state.behaviour = b;
    },
    /** Resolves once `check` holds on what was accepted (checked after each delivery), or rejects after ms. */
    async until(check: () => boolean, ms = 20_000): Promise<void> {
      const end = Date.now() + ms;
      while (!check()) {
        if (Date.now() > end)
          throw new Error(`receiver: condition not met within ${ms} ms (${accepted.length} accepted)`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 200);
        });
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
