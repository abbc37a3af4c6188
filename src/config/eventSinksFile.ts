import { readFileSync } from 'node:fs';
import { allEvents } from '../domain/events/all.js';
import { DEFAULT_PARK_AFTER_SECONDS, secretProblem, sinkSettingsProblem } from '../domain/sinks/rules.js';
import type { Sink } from '../feed/sink.js';
import { ConfigError } from './configParsing.js';

const EXAMPLE = '{"sinks":[{"id":"siem","url":"https://siem.example/hook","secret":"whsec_…"}]}';

/**
 * EVENT_SINKS_FILE, read once at startup: a file that cannot be read, is not JSON, or names a bad sink refuses the
 * start with one line naming the setting and the sink (docs/audit-feed.md). The same rules hold as for GraphQL.
 */
export function eventSinksFile(path: string, allowHttpLoopback: boolean): Sink[] {
  const invalid = (why: string) => new ConfigError(`EVENT_SINKS_FILE=${JSON.stringify(path)} is invalid: ${why}`);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw invalid(`cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw invalid(`expected JSON such as ${EXAMPLE}`);
  }
  const entries = (json as { sinks?: unknown } | null)?.sinks;
  if (typeof json !== 'object' || json === null || Array.isArray(json) || Object.keys(json).some((k) => k !== 'sinks'))
    throw invalid(`expected an object with one key, sinks, such as ${EXAMPLE}`);
  if (!Array.isArray(entries)) throw invalid('sinks: expected an array');
  const eventTypes = new Set(allEvents.map((e) => e.type));
  const seen = new Set<string>();
  return entries.map((entry: unknown, i) => {
    if (typeof entry !== 'object' || entry === null) throw invalid(`sinks[${i}]: expected an object`);
    const { secret, ...settings } = entry as { secret?: unknown };
    const where = `sinks[${i}]`;
    if (typeof secret !== 'string') throw invalid(`${where}: secret: expected a string whsec_…`);
    const bad = secretProblem(secret) ?? sinkSettingsProblem(settings, { allowHttpLoopback, eventTypes })?.problem;
    if (bad) throw invalid(`${where}: ${bad}`);
    const s = settings as Omit<Sink, 'secret' | 'source' | 'parkAfterSeconds'> & { parkAfterSeconds?: number };
    if (seen.has(s.id)) throw invalid(`${where}: id ${s.id} is used twice`);
    seen.add(s.id);
    return { ...s, secret, parkAfterSeconds: s.parkAfterSeconds ?? DEFAULT_PARK_AFTER_SECONDS, source: 'file' };
  });
}
