import { appendFileSync } from 'node:fs';
import type { KeyObject } from 'node:crypto';
import type { SealsConfig } from '../config/sealsConfig.js';
import type { SealState } from '../domain/seals/decider.js';
import { sealKeyCache, sealLedger, type SealData, type SealHead } from './seals.js';
import type { Ports } from './ports.js';

type Warn = (err: unknown, message: string) => void;

const EXPORT_ATTEMPTS = 5;

/**
 * Seals the ledger every `intervalSeconds` and once more at shutdown, and writes each seal where the operator keeps
 * copies (a file, a URL). Sealing runs on a timer, never on a request; an export that fails is logged and retried,
 * and never holds up the next seal.
 */
export class Sealer {
  private timer?: NodeJS.Timeout;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly exports = new Set<Promise<void>>();
  private readonly keys: (kid: string, state: SealState) => Promise<KeyObject>;

  constructor(
    private readonly ports: Pick<Ports, 'clock' | 'events' | 'keyEncryptionSecret'>,
    /** The frontier's head once the views hold everything this instance has seen. */
    private readonly head: () => Promise<SealHead>,
    private readonly config: SealsConfig,
    private readonly warn: Warn,
  ) {
    this.keys = sealKeyCache(ports.keyEncryptionSecret);
  }

  start(): void {
    if (this.config.intervalSeconds <= 0) return;
    this.timer = setInterval(
      () => void this.sealNow().catch((err) => this.warn(err, 'sealing failed')),
      this.config.intervalSeconds * 1000,
    );
    this.timer.unref();
  }

  /**
   * One seal at a time, each of the tree as it is when its turn comes; resolves with the seal written, or undefined
   * when there was nothing new to seal.
   */
  sealNow(): Promise<SealData | undefined> {
    const next = this.queue.then(async () => {
      const seal = await sealLedger(this.ports, await this.head(), this.keys);
      if (seal) this.export(seal);
      return seal;
    });
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** The last seal, at graceful shutdown (when sealing is on), and the exports still in flight. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    if (this.config.intervalSeconds > 0)
      await this.sealNow().catch((err) => this.warn(err, 'sealing at shutdown failed'));
    await Promise.allSettled([...this.exports]);
  }

  private export(seal: SealData): void {
    const line = JSON.stringify(seal);
    if (this.config.exportFile) {
      try {
        appendFileSync(this.config.exportFile, `${line}\n`, { mode: 0o600 });
      } catch (err) {
        this.warn(err, `seal not written to SEAL_EXPORT_FILE ${this.config.exportFile}`);
      }
    }
    const url = this.config.exportUrl;
    if (url) {
      const p = post(url, line, this.warn).finally(() => this.exports.delete(p));
      this.exports.add(p);
    }
  }
}

async function post(url: string, body: string, warn: Warn): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        signal: AbortSignal.timeout(10_000),
      });
      await res.body?.cancel();
      if (res.ok) return;
      throw new Error(`HTTP ${res.status}`);
    } catch (err) {
      if (attempt >= EXPORT_ATTEMPTS) {
        warn(err, `seal not delivered to SEAL_EXPORT_URL after ${attempt} attempts`);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 250 * 2 ** attempt).unref());
    }
  }
}
