/**
 * `node clusterServer.js <workers>`: our server as `node:cluster` workers sharing one port (the primary hands out
 * connections round-robin), on one ledger (DATA_DIR). Started one after the other, as instances on one ledger
 * should be (the first creates the signing keys). Prints `ready` once every worker listens; SIGTERM stops them.
 */
import cluster from 'node:cluster';
import { fileURLToPath } from 'node:url';

const SERVER = fileURLToPath(new URL('../../src/server.js', import.meta.url));
const workers = Number(process.argv[2] ?? 2);

cluster.setupPrimary({ exec: SERVER, args: [], silent: false });
for (let i = 0; i < workers; i++) {
  const worker = cluster.fork();
  await new Promise<void>((resolve, reject) => {
    worker.once('listening', () => resolve());
    worker.once('exit', (code) => reject(new Error(`worker exited with ${code} before listening`)));
  });
}
console.log('ready');

let stopping = false;
process.on('SIGTERM', () => {
  if (stopping) return;
  stopping = true;
  for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM');
  cluster.on('exit', () => {
    if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
  });
});
