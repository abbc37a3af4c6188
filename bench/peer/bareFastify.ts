/**
 * The benchmark's ceiling: a bare Fastify 5 server with one route shaped like introspection (POST,
 * a url-encoded form parsed by @fastify/formbody, a small JSON answer with `cache-control`) and
 * nothing else: no authentication, no lookup, no logging. What this answers per second is what any
 * Fastify route could answer on this machine, so the table can say how close introspection comes.
 *
 *   node dist/bench/peer/bareFastify.js <port>
 *
 * Listens on 127.0.0.1:<port>, prints `ready` on stdout, exits on SIGTERM/SIGINT.
 */
import Fastify from 'fastify';
import formbody from '@fastify/formbody';

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port < 1 || port > 65535) {
  process.stderr.write('usage: node dist/bench/peer/bareFastify.js <port>\n');
  process.exit(2);
}
const app = Fastify({ logger: false });
await app.register(formbody);
app.post('/introspect', async (request, reply) => {
  reply.header('cache-control', 'no-store');
  const { token } = request.body as { token?: string };
  return { active: false, length: token?.length ?? 0 };
});
await app.listen({ port, host: '127.0.0.1' });
process.stdout.write('ready\n');
const stop = () => void app.close().then(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
