/**
 * Where a V8 CPU profile's main-thread time goes, by part of the issuance path: each sample is given to the
 * first frame, from the leaf up, that belongs to a known part (a native function with no source of its own
 * counts for its caller). Shares of the busy time; multiplied by the CPU µs per request measured without the
 * profiler, they give µs per request.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** Parts, most specific first; matched against `functionName url`. */
const PARTS: Array<[string, RegExp]> = [
  ['garbage collection', /^\(garbage collector\)/],
  ['JWT signature (ES256/RS256)', /^(signOneShot|sign) node:internal\/crypto\/sig/],
  ['history index (SQLite writes)', /projections\/history(Index|Activity)\.js/],
  ['in-memory views', /dist\/projections\/|projectionRunner\.js|durableFeed\.js|personalDataStore\.js/],
  ['event validation', /eventsourcing\/validation\.js/],
  [
    'ledger append (serialise, hand to the writer, replies)',
    /stores\/sqlite\/|eventsourcing\/ledger\.js|node:internal\/(worker|per_context\/messageport|event_target)/,
  ],
  ['token minting (claims, hash, ids)', /application\/tokens\.js|crypto\/(hash|jwtStrategy|statusList)\.js|\/uuid\//],
  ['client authentication', /oauth\/clientAuth\.js|plugins\/oauthClients\.js|escalatingThrottle\.js/],
  ['use case (execute, decide)', /dist\/src\/(application|domain|oauth)\//],
  ['metrics', /prom-client|plugins\/metrics\.js/],
  ['CORS', /@fastify\/cors|corsPolicy\.js/],
  [
    'HTTP (node:http, Fastify, body, socket)',
    /fastify|find-my-way|formbody|fast-querystring|node:_http|node:net|node:internal\/(streams|stream_base)|^writev |dist\/src\/http\//,
  ],
  ['event loop, promises, timers', /node:internal\/(process|timers)|^runMicrotasks |node:events/],
];

/** Shares of each part in the `windowMs` that ended `endGapMs` before the profile did (the load, not the start). */
export function summariseProfile(file: string, windowMs: number, endGapMs: number): Map<string, number> {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const partOf = new Map<number, string>();
  const classify = (id: number): string => {
    const known = partOf.get(id);
    if (known) return known;
    let part = 'other';
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const { functionName, url } = byId.get(at)!.callFrame;
      const found = PARTS.find(([, re]) => re.test(`${functionName} ${url}`));
      if (found) {
        part = found[0];
        break;
      }
    }
    partOf.set(id, part);
    return part;
  };
  const shares = new Map<string, number>();
  let t = p.startTime;
  let busy = 0;
  for (let i = 0; i < p.samples.length; i++) {
    t += p.timeDeltas[i];
    const dt = p.timeDeltas[i + 1] ?? 0;
    if (t > p.endTime - endGapMs * 1e3 || t < p.endTime - (endGapMs + windowMs) * 1e3) continue;
    const node = byId.get(p.samples[i])!;
    if (node.callFrame.functionName === '(idle)') continue;
    const part = node.callFrame.functionName === '(program)' ? 'V8 and native (unattributed)' : classify(node.id);
    if (process.env.PROFILE_OTHER && part === 'other')
      console.log(`${node.callFrame.functionName} ${node.callFrame.url}`);
    shares.set(part, (shares.get(part) ?? 0) + dt);
    busy += dt;
  }
  for (const [k, v] of shares) shares.set(k, v / busy);
  return new Map([...shares].sort((a, b) => b[1] - a[1]));
}
