import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { loadConfig, type Config } from './config/config.js';
import { ensureSigningKeys, readKeyring } from './application/keyring.js';
import { buildApp, REDACT } from './http/app.js';
import { createMetrics } from './http/plugins/metrics.js';
import { openRuntime, type Runtime } from './runtime.js';
import type { Clock } from './application/ports.js';
import { startupErrorLine } from './startupError.js';
import { ensureSealKey } from './application/seals.js';
import { Sealer } from './application/sealer.js';
import { sharedDataDirWarning } from './config/privateFiles.js';
import { activeTokensProjection, evictExpired } from '../projections/activeTokens.js';
import { evictExpiredAuthorization } from '../projections/authorization.js';
import { devicesProjection, evictExpiredDevices, expiredPendingDevices } from '../projections/devices.js';
import { expireDevices } from './application/deviceAuthorization.js';
import { BackchannelLogoutDispatcher } from './application/backchannelLogout.js';
import { startDynamicClientPruning } from './application/pruneDynamicClients.js';
import { startTracing } from './tracing/start.js';
import { eventFeed } from './feed/startFeed.js';
import { ensureConsole } from './http/consoleClientStart.js';

export interface RunningServer {
  app: FastifyInstance;
  runtime: Runtime;
  /** Seals the ledger now (tests; the server seals on its own every SEAL_INTERVAL_SECONDS). */
  sealer: Sealer;
  url: string;
  /** Resolves once the views have caught up and the signing keys are unlocked. */
  ready: Promise<void>;
  close(): Promise<void>;
}

/** Refuses a wrong KEY_ENCRYPTION_SECRET before anything is served or written (the keys it unlocks are kept). */
async function checkKeyEncryptionSecret(runtime: Runtime): Promise<void> {
  await runtime.keys.unlockCurrentKeys(Date.now(), await readKeyring(runtime.ports));
}

/** Expired tokens leave the active-token view, so its memory follows the live tokens only. */
function startEviction(runtime: Runtime, warn: (err: unknown, message: string) => void): NodeJS.Timeout {
  const sweep = () => {
    const now = Math.floor(Date.now() / 1000);
    evictExpired(runtime.runner.view(activeTokensProjection), now);
    evictExpiredAuthorization(runtime.views, now);
    const devices = runtime.runner.view(devicesProjection);
    evictExpiredDevices(devices, now);
    // How each unanswered device ended goes into the ledger. It stays in the view until that is applied, so a store
    // that cannot take the record now is asked again at the next sweep.
    const expired = expiredPendingDevices(devices, now);
    if (expired.length > 0)
      void expireDevices(runtime.ports, expired, { actor: 'system', correlationId: randomUUID() }).catch((err) =>
        warn(err, 'recording expired device authorizations failed'),
      );
  };
  sweep();
  const timer = setInterval(sweep, 10_000);
  timer.unref();
  return timer;
}

/** The composition root: ledger, views, keys, HTTP. */
export async function startServer(
  config: Config,
  options: { logger?: boolean | object; writerHooks?: URL; listen?: boolean; clock?: Clock } = {},
): Promise<RunningServer> {
  const metrics = createMetrics();
  let app: FastifyInstance | undefined;
  const runtime = await openRuntime(config, {
    role: 'server',
    clock: options.clock,
    writerHooks: options.writerHooks,
    storeLog: (message) => app?.log.warn(message),
    onBatch: (s) => {
      metrics.appendBatchSize.observe(s.size);
      metrics.appendSeconds.observe(s.seconds);
    },
  });
  let isReady = false;
  let eviction: NodeJS.Timeout | undefined;
  let pruning: { stop(): Promise<void> } | undefined;
  const dispatcher = new BackchannelLogoutDispatcher(runtime.ports);
  const sealer = new Sealer(
    runtime.ports,
    async () => {
      await runtime.runner.settleDurable();
      return runtime.merkle?.head() ?? { treeSize: 0, rootHash: '', lastType: null };
    },
    config.seals,
    (err, message) => app?.log.warn({ err }, message),
  );
  const feed = eventFeed(runtime, metrics.registry);
  try {
    // The key derivation runs on libuv's threads while this one builds the app.
    const keyCheck = checkKeyEncryptionSecret(runtime);
    keyCheck.catch(() => undefined);
    app = await buildApp({
      runtime,
      metrics,
      isReady: () => isReady,
      logger: options.logger ?? { level: config.logLevel, redact: REDACT },
    });
    await keyCheck;
    // `listen: false`: the tests that inject requests (test/helpers/injectServer.ts) need no socket.
    if (options.listen === false) await app.ready();
    else await app.listen({ port: config.port, host: config.host });
  } catch (err) {
    await app?.close();
    await runtime.close();
    throw err;
  }
  const ready = (async () => {
    runtime.runner.useLog(app.log);
    const shared = sharedDataDirWarning(config.dataDir);
    if (shared) app.log.warn(shared);
    await runtime.runner.start();
    await ensureSigningKeys(runtime.ports);
    await runtime.keys.unlockCurrentKeys();
    await ensureSealKey(runtime.ports);
    if (config.console) await ensureConsole(runtime, app.log);
    sealer.start();
    eviction = startEviction(runtime, (err, message) => app?.log.warn({ err }, message));
    dispatcher.start();
    const idle = config.registration.idleClientSeconds;
    if (idle > 0)
      pruning = startDynamicClientPruning(runtime.ports, idle, (err, message) => app?.log.warn({ err }, message));
    await feed.start(app.log);
    isReady = true;
    app.log.info({ position: runtime.runner.position.toString() }, 'ready');
  })();
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  let closing: Promise<void> | undefined;
  return {
    app,
    runtime,
    sealer,
    url: `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`,
    ready,
    close() {
      // In-flight requests finish (new ones get 503), then the views checkpoint and the store closes.
      closing ??= (async () => {
        await app.close();
        await ready.catch(() => undefined);
        clearInterval(eviction);
        dispatcher.stop();
        await pruning?.stop();
        await sealer.stop();
        await feed.stop();
        await runtime.close();
      })();
      return closing;
    },
  };
}

/** `writerHooks`: for the fault suite's server process (test/helpers/failpointServer.ts). */
export async function main(options: { writerHooks?: URL } = {}): Promise<void> {
  let server: RunningServer;
  // Before the app is built: its request ids are trace ids when tracing is on (docs/audit-tracing.md).
  const tracing = await startTracing(process.env);
  try {
    server = await startServer(loadConfig(), options);
    tracing.logTo((message) => server.app.log.warn(message));
    for (const warning of tracing.warnings) server.app.log.warn(warning);
    if (tracing.enabled) server.app.log.info('tracing on: spans are exported as the OTEL_* variables say');
    await server.ready;
  } catch (err) {
    console.error(startupErrorLine(err));
    process.exit(1);
  }
  const stop = (signal: string) => {
    server.app.log.info({ signal }, 'shutting down');
    server
      .close()
      .then(() => tracing.shutdown())
      .then(
        () => process.exit(0),
        (err) => {
          console.error(startupErrorLine(err));
          process.exit(1);
        },
      );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
