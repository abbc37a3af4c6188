import { createServer, connect, type Socket } from 'node:net';

/**
 * How the proxy treats a connection:
 * - forward: pipe both ways to the target;
 * - refuse: accept, then reset the connection at once (a crashed or firewalled server);
 * - blackhole: accept and swallow everything, never answer (a hung server, a dropped route);
 * - { delayMs }: forward, holding every chunk back this long in each direction (a slow link).
 */
export type ProxyMode = 'forward' | 'refuse' | 'blackhole' | { delayMs: number };

export interface TcpProxy {
  port: number;
  /** Connections accepted so far: proves the client really went through the proxy. */
  readonly connections: number;
  /** Applies to new connections; `drop` also cuts the open ones. */
  setMode(mode: ProxyMode, drop?: boolean): void;
  close(): Promise<void>;
}

/** A TCP proxy on loopback in front of `target`, for injecting network faults between us and a store. */
export async function startTcpProxy(
  target: { host: string; port: number },
  initial: ProxyMode = 'forward',
): Promise<TcpProxy> {
  let mode = initial;
  let connections = 0;
  const open = new Set<Socket>();
  const track = (s: Socket) => {
    open.add(s);
    s.on('close', () => open.delete(s));
    s.on('error', () => undefined);
  };
  const server = createServer((client) => {
    connections += 1;
    track(client);
    if (mode === 'refuse') {
      client.resetAndDestroy();
      return;
    }
    if (mode === 'blackhole') {
      client.resume();
      return;
    }
    const delayMs = typeof mode === 'object' ? mode.delayMs : 0;
    const upstream = connect(target.port, target.host);
    track(upstream);
    const relay = (from: Socket, to: Socket) => {
      from.on('data', (chunk) => {
        if (delayMs === 0) to.write(chunk);
        else setTimeout(() => to.writable && to.write(chunk), delayMs);
      });
      from.on('end', () => setTimeout(() => to.end(), delayMs));
    };
    relay(client, upstream);
    relay(upstream, client);
    // A refused or failed upstream resets the client, as the target itself would have.
    upstream.on('error', () => setTimeout(() => client.destroyed || client.resetAndDestroy(), delayMs));
    client.on('error', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    port,
    get connections() {
      return connections;
    },
    setMode(next, drop = false) {
      mode = next;
      if (drop) for (const s of open) s.resetAndDestroy();
    },
    async close() {
      for (const s of open) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A loopback port nothing listens on (bound, then released): the store that is not there. */
export async function deadPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}
