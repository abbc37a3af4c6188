/**
 * `node dist/bench/profileIssuance.js [connections] [seconds]` (after `npm run build`): where the main thread's
 * microseconds go in client-credentials ES256 issuance. Our server alone, under load twice: once plain, for the
 * main thread's CPU µs per request; once with a V8 CPU profile, for the share of each part of the path
 * (bench/profileSummary.ts). Prints one table of µs per request by part; the profile stays in a temporary directory.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runLoad, type LoadResult } from './httpLoad.js';
import { freePorts, issuance, discover, startOurs, stopChild, RESOURCE } from './oauthScenarios.js';
import { sampleServerCpu, type ServerCpu } from './cpuUsage.js';
import { summariseProfile } from './profileSummary.js';
import { fmt, printTable } from './table.js';

const connections = Number(process.argv[2] ?? 50);
const seconds = Number(process.argv[3] ?? 10);

/** One server, warmed up, then loaded for `seconds`: figures, CPU, and when the load ended. */
async function run(profileDir?: string): Promise<{ load: LoadResult; cpu: ServerCpu; stopGapMs: number }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tl-bench-prof-'));
  const [port] = await freePorts(1);
  const before = process.env.BENCH_CPU_PROF_DIR;
  if (profileDir) process.env.BENCH_CPU_PROF_DIR = profileDir;
  const { child, side } = await startOurs(port, dataDir);
  if (profileDir) process.env.BENCH_CPU_PROF_DIR = before;
  try {
    await discover(side);
    const target = await issuance(side, 'bench-client', { resource: RESOURCE }, 'ES256');
    if (typeof target === 'string') throw new Error(target);
    await runLoad({ ...target, method: 'POST', connections: 10, seconds: 3 });
    const { result, cpu } = await sampleServerCpu(
      side.pid,
      side.base,
      () => runLoad({ ...target, method: 'POST', connections, seconds }),
      (r) => r.responses,
    );
    const ended = performance.now();
    await stopChild(child);
    return { load: result, cpu, stopGapMs: performance.now() - ended };
  } finally {
    await stopChild(child);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const plain = await run();
const profileDir = mkdtempSync(join(tmpdir(), 'tl-prof-'));
const profiled = await run(profileDir);
// CPU.<date>.<time>.<pid>.<thread>.<n>.cpuprofile: thread 0 is the main thread (the others are worker threads).
const main = readdirSync(profileDir).find((f) => /\.\d+\.0\.\d+\.cpuprofile$/.test(f))!;
const shares = summariseProfile(join(profileDir, main), seconds * 1000, profiled.stopGapMs);
const us = plain.cpu.mainMicros ?? NaN;
console.log(
  `client credentials → JWT (ES256), ${connections} connections, ${seconds} s: ${fmt(plain.load.rps)} req/s, ` +
    `p50 ${plain.load.p50} ms, p99 ${plain.load.p99} ms; main thread ${fmt(us)} µs/request, ` +
    `writer ${fmt(plain.cpu.writerMicrosPerAppend ?? NaN)} µs/append (profile: ${join(profileDir, main)})`,
);
printTable(
  ['part of the path', 'share of main-thread CPU', 'µs per request'],
  [...shares].map(([part, share]) => [part, `${fmt(share * 100, 1)} %`, fmt(share * us, 1)]),
);
