/**
 * The one table of `npm run bench`: a row per scenario and connection count, ours and the peer's
 * figures side by side. A cell is figures or why there are none ("n/a (why)").
 */
import type { LoadResult } from './httpLoad.js';
import type { UnitResult } from './authorizationCodeScenarios.js';
import type { ServerCpu } from './cpuUsage.js';

export interface Figures {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  /** Latencies in whole milliseconds (autocannon), so below 1 reads "<1". */
  wholeMs: boolean;
  cpu?: ServerCpu;
}

export type Cell = Figures | string;

export interface TableRow {
  scenario: string;
  connections: number;
  ours: Cell;
  /** `null`: the peer has no such scenario. */
  peer: Cell | null;
}

export const fromLoad = (m: LoadResult | string): Cell =>
  typeof m === 'string'
    ? m
    : { rps: m.rps, p50: m.p50, p99: m.p99, errors: m.errors + m.non2xx, wholeMs: true, cpu: m.cpu };

export const fromUnits = (m: UnitResult | string): Cell =>
  typeof m === 'string' ? m : { rps: m.rps, p50: m.p50, p99: m.p99, errors: m.errors, wholeMs: false };

function ms(n: number, wholeMs: boolean): string {
  if (wholeMs) return n < 1 ? '<1' : fmt(n);
  return fmt(n, n < 10 ? 1 : 0);
}

/** req/s, p50, p99, errors. */
export function cells(c: Cell): [string, string, string, string] {
  if (typeof c === 'string') return [c, '', '', ''];
  return [fmt(c.rps), ms(c.p50, c.wholeMs), ms(c.p99, c.wholeMs), fmt(c.errors)];
}

/** The server's main-thread CPU µs per request, and its writer thread's µs per append ("" when not measured). */
export function cpuCells(c: Cell | null): [string, string] {
  const cpu = c === null || typeof c === 'string' ? undefined : c.cpu;
  const us = (n: number | undefined) => (n === undefined ? '' : fmt(n));
  return [us(cpu?.mainMicros), us(cpu?.writerMicrosPerAppend)];
}

export function ratio(ours: Cell, peer: Cell | null): string {
  if (peer === null) return '—';
  if (typeof ours === 'string' || typeof peer === 'string' || peer.rps === 0) return 'n/a';
  return `${fmt(ours.rps / peer.rps, 2)}×`;
}

export const fmt = (n: number, d = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

/** A Markdown table, columns padded: pasted into the README as it is. */
export function printTable(header: string[], body: string[][]): void {
  const width = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(width[i])).join(' | ')} |`;
  console.log(line(header));
  console.log(line(width.map((w) => '-'.repeat(w))));
  for (const r of body) console.log(line(r));
}
