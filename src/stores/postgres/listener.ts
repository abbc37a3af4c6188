import pg from 'pg';
import { CHANNEL } from './schema.js';

const MIN_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 5_000;

/**
 * LISTEN on a dedicated connection (a pooled one would lose its LISTEN on release). A notification
 * only says "the head moved"; the subscribers then read by position. A lost connection is reopened
 * with capped exponential backoff, and every (re)connection is announced too, so subscribers catch
 * up on whatever was committed while nobody listened.
 */
export class HeadListener {
  private client?: pg.Client;
  private failures = 0;
  private timer?: NodeJS.Timeout;
  private stopped = false;
  /** Whether notifications are arriving now (false while reconnecting). */
  connected = false;

  constructor(
    private readonly config: pg.ClientConfig,
    private readonly onHeadMoved: () => void,
    private readonly log: (message: string) => void = () => {},
  ) {
    void this.connect();
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const client = new pg.Client(this.config);
    this.client = client;
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client, new Error('connection ended')));
    client.on('notification', () => this.onHeadMoved());
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
    } catch (err) {
      this.lost(client, err as Error);
      return;
    }
    if (this.stopped || client !== this.client) return;
    this.connected = true;
    if (this.failures > 0)
      this.log(
        `ledger listener reconnected after ${this.failures} attempt${this.failures === 1 ? '' : 's'}; catching up`,
      );
    this.failures = 0;
    this.onHeadMoved();
  }

  private lost(client: pg.Client, err: Error): void {
    if (client !== this.client || this.stopped) return;
    this.client = undefined;
    this.connected = false;
    client.removeAllListeners('end');
    client.on('error', () => undefined);
    void client.end().catch(() => undefined);
    const delay = Math.min(MAX_BACKOFF_MS, MIN_BACKOFF_MS * 2 ** this.failures++);
    this.log(`ledger listener lost its connection (${err.message.split('\n', 1)[0]}); reconnecting in ${delay} ms`);
    this.timer = setTimeout(() => void this.connect(), delay);
    this.timer.unref();
  }

  /** @internal for tests: drops the connection as a network failure would. */
  dropConnection(): void {
    const client = this.client;
    client?.connection?.stream?.destroy();
  }

  async close(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    const client = this.client;
    this.client = undefined;
    this.connected = false;
    if (client) {
      client.on('error', () => undefined);
      await client.end().catch(() => undefined);
    }
  }
}
