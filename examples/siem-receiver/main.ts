import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { Webhook } from 'standardwebhooks';

/**
 * A SIEM stand-in for the outbound feed (docs/audit-feed.md): it checks each delivery's Standard Webhooks
 * signature, stores each event once (by `webhook-id`, which is the ledger event's id) as one line of an NDJSON
 * file, and answers 2xx only after the line is written, so the server's at-least-once delivery loses nothing.
 *
 *   WEBHOOK_SECRET=whsec_… node dist/examples/siem-receiver/main.js --port 8080 --out events.ndjson
 */
const { values } = parseArgs({
  options: { port: { type: 'string', default: '8080' }, out: { type: 'string', default: 'events.ndjson' } },
});
const secret = process.env.WEBHOOK_SECRET;
if (!secret) {
  console.error("set WEBHOOK_SECRET to the sink's secret (whsec_…)");
  process.exit(1);
}
const webhook = new Webhook(secret);
const out = values.out;

// Ids already stored, read back from the file: a restarted receiver still drops repeats.
const seen = new Set<string>(
  existsSync(out)
    ? readFileSync(out, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => (JSON.parse(line) as { id: string }).id)
    : [],
);

createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    try {
      webhook.verify(body, req.headers as Record<string, string>);
    } catch {
      res.writeHead(401).end();
      return;
    }
    const id = String(req.headers['webhook-id']);
    if (!seen.has(id)) {
      const event = JSON.parse(body) as { id: string; type: string; subject: string; ledgerposition: string };
      appendFileSync(out, `${JSON.stringify(event)}\n`);
      seen.add(id);
      console.log(`${event.ledgerposition} ${event.type} ${event.subject}`);
    }
    res.writeHead(204).end();
  });
}).listen(Number(values.port), '127.0.0.1', () => console.log(`receiving on http://127.0.0.1:${values.port}/`));
