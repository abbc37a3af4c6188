import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runCli, SERVER } from './cli.js';
import { freePort, tempDir } from './server.js';
import { basic } from './oauth.js';

const FAILPOINT_SERVER = fileURLToPath(new URL('./failpointServer.js', import.meta.url));

/** A real server process (`node dist/src/server.js`) that the fault tests may kill at any moment. */
export interface ServerProcess {
  child: ChildProcess;
  url: string;
  /** Resolves when the process has gone, however it went. */
  exited: Promise<void>;
}

export interface ServerEnv extends Record<string, string> {
  DATA_DIR: string;
  PORT: string;
  HOST: string;
  ISSUER: string;
  KEY_ENCRYPTION_SECRET: string;
}

/** One data directory, one port: every restart of the server in a test uses the same ones. */
export async function serverEnv(dataDir = tempDir('tl-faults-')): Promise<ServerEnv> {
  const port = await freePort();
  return {
    DATA_DIR: dataDir,
    PORT: String(port),
    HOST: '127.0.0.1',
    ISSUER: `http://127.0.0.1:${port}`,
    KEY_ENCRYPTION_SECRET: 'fault-suite-key-encryption-secret-0123456789',
    LOG_LEVEL: 'error',
  };
}

/**
 * Starts the server and resolves once /readyz answers 200. Each stderr line goes to `onStderr`
 * (failpoint announcements arrive there) and is otherwise passed through.
 */
export async function spawnServer(
  env: ServerEnv,
  extra: Record<string, string> = {},
  onStderr: (line: string) => boolean = () => false,
  readyTimeoutMs = 60_000,
  /** Each line of the log (stdout); without it the log passes through. */
  onStdout?: (line: string) => void,
): Promise<ServerProcess> {
  // A failpoint needs the writer hooks only the fault suite's server entry gives the store.
  const entry = extra.TOKEN_LEDGER_FAILPOINT ? FAILPOINT_SERVER : SERVER;
  const child = spawn(process.execPath, [entry], {
    env: { PATH: process.env.PATH ?? '', ...env, ...extra },
    stdio: ['ignore', onStdout ? 'pipe' : 'inherit', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let gone = false;
  void exited.then(() => (gone = true));
  eachLine(child.stderr!, (line) => onStderr(line) || process.stderr.write(`[server] ${line}\n`));
  if (onStdout) eachLine(child.stdout!, onStdout);
  const started = Date.now();
  for (;;) {
    if (gone) throw new Error(`server exited before it was ready (code ${child.exitCode})`);
    if (Date.now() - started > readyTimeoutMs) {
      child.kill('SIGKILL');
      throw new Error(`server not ready within ${readyTimeoutMs} ms`);
    }
    try {
      if ((await fetch(`${env.ISSUER}/readyz`)).status === 200) return { child, url: env.ISSUER, exited };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

function eachLine(stream: NodeJS.ReadableStream, onLine: (line: string) => unknown): void {
  let buffered = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const line of lines) onLine(line);
  });
}

export async function signal(server: ServerProcess, sig: NodeJS.Signals): Promise<void> {
  if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill(sig);
  await server.exited;
}

/** Registers a confidential client with the CLI (as an operator would) and returns its Basic header. */
export async function cliClient(env: ServerEnv, clientId: string, scope: string): Promise<Record<string, string>> {
  const ran = await runCli(['clients', 'create', '--client-id', clientId, '--scope', scope, '--json'], env);
  if (ran.code !== 0) throw new Error(`clients create failed: ${ran.stderr}`);
  return basic(clientId, JSON.parse(ran.stdout).client_secret as string);
}

/** POSTs a form and returns the status, headers and parsed JSON (undefined when not JSON). */
export async function post(
  url: string,
  form: Record<string, string>,
  headers: Record<string, string>,
  signalAbort?: AbortSignal,
): Promise<{ status: number; headers: Headers; body: any }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form).toString(),
    signal: signalAbort,
  });
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.status, headers: res.headers, body };
}
