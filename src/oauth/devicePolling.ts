/** RFC 8628 §3.5: a poll sooner than this after the last is answered slow_down; and the interval grows. */
const SLOW_DOWN_STEP_SECONDS = 5;
/** A poll this much early (network jitter, a timer firing a little soon) is still on time. */
const JITTER_MS = 1000;
/** Past this many devices remembered, the expired ones are swept on the next poll. */
const SWEEP_ABOVE = 1024;

interface Pace {
  nextMs: number;
  intervalSeconds: number;
  expMs: number;
}

/**
 * How often each device polls, per instance and in memory: pacing is advice to a device, not a fact for the ledger,
 * and recording it would turn every poll into a write. Bounded by the devices that are live.
 */
export class PollPacer {
  private readonly paces = new Map<string, Pace>();

  /** 'slow_down' when this poll came too soon (the device's interval grows by 5 s), else 'on_time'. */
  poll(deviceCodeHash: string, intervalSeconds: number, expSeconds: number, nowMs: number): 'on_time' | 'slow_down' {
    const pace = this.paces.get(deviceCodeHash);
    if (!pace) {
      if (this.paces.size >= SWEEP_ABOVE) this.sweep(nowMs);
      this.paces.set(deviceCodeHash, {
        nextMs: nowMs + intervalSeconds * 1000,
        intervalSeconds,
        expMs: expSeconds * 1000,
      });
      return 'on_time';
    }
    const early = nowMs + JITTER_MS < pace.nextMs;
    if (early) pace.intervalSeconds += SLOW_DOWN_STEP_SECONDS;
    pace.nextMs = nowMs + pace.intervalSeconds * 1000;
    return early ? 'slow_down' : 'on_time';
  }

  /** The device's polling ended (tokens issued, denied, expired). */
  forget(deviceCodeHash: string): void {
    this.paces.delete(deviceCodeHash);
  }

  private sweep(nowMs: number): void {
    for (const [hash, pace] of this.paces) if (pace.expMs <= nowMs) this.paces.delete(hash);
  }
}
