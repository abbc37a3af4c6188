import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/config.js';
import { startServer, type RunningServer } from '../../src/server.js';

export const tempDir = (prefix = 'tl-test-') => mkdtempSync(join(tmpdir(), prefix));

export interface TestServer extends RunningServer {
  dataDir: string;
  env: Record<string, string>;
  /** `fetch` against this server: the network for a listening one, `app.inject()` for test/helpers/injectServer.ts. */
  fetch: typeof fetch;
}

/** A test server's settings: its own data directory, and an issuer naming a loopback port that was free. */
export async function testServerEnv(opts: { dataDir?: string; env?: Record<string, string> }) {
  const dataDir = opts.dataDir ?? tempDir();
  const port = await freePort();
  const env: Record<string, string> = {
    DATA_DIR: dataDir,
    PORT: String(port),
    HOST: '127.0.0.1',
    ISSUER: `http://127.0.0.1:${port}`,
    ...opts.env,
  };
  return { dataDir, env };
}

/** A real server on a random loopback port with its own embedded ledger. */
export async function startTestServer(
  opts: { dataDir?: string; env?: Record<string, string>; writerHooks?: URL } = {},
): Promise<TestServer> {
  const { dataDir, env } = await testServerEnv(opts);
  const server = await startServer(loadConfig(env), { logger: false, writerHooks: opts.writerHooks });
  await server.ready;
  return { ...server, dataDir, env, fetch: (input, init) => fetch(input, init) };
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** A port that was free a moment ago: the issuer URL must name the port before the server listens. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}
