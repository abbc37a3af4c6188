import { randomUUID } from 'node:crypto';
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { runCli } from '../helpers/cli.js';
import type { EventRow } from '../../src/stores/sqlite/rows.js';
import { removeDir, startTestServer, tempDir } from '../helpers/server.js';
import { basic, postForm, registerClient } from '../helpers/oauth.js';
import { createUser } from '../helpers/flow.js';
import { handleClientCommand } from '../../src/application/clients.js';
import { hashClientSecret } from '../../src/security/clientSecrets.js';
import { hashEvent } from '../../src/eventsourcing/integrity.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const env = (dataDir: string) => ({ DATA_DIR: dataDir, LOG_LEVEL: 'silent' });
const cli = (dataDir: string, ...args: string[]) => runCli(args, env(dataDir));
/** The refusal's line (the last one stderr holds). */
const lastLine = (stderr: string) => stderr.trim().split('\n').at(-1)!;

/** The columns these tests read from the embedded ledger's events table. */
type Row = Pick<EventRow, 'position' | 'id' | 'stream' | 'revision' | 'type' | 'data'>;

describe('auditors: verify, replay, export/import', () => {
  const dirs: string[] = [];
  const dir = () => {
    const d = tempDir('tl-audit-');
    dirs.push(d);
    return d;
  };
  let source: string;
  let beforeRevocation: string;
  let afterRevocation: string;
  let revokedJti: string;

  /** A copy of the sound ledger to damage. */
  const copy = () => {
    const d = dir();
    cpSync(source, d, { recursive: true });
    return d;
  };
  const rows = (d: string): Row[] => {
    const db = new Database(join(d, 'ledger.sqlite'), { readonly: true });
    try {
      return db
        .prepare('SELECT position, id, stream, revision, type, data FROM events ORDER BY position')
        .all() as Row[];
    } finally {
      db.close();
    }
  };
  const tamper = (d: string, sql: (db: Database.Database) => void) => {
    const db = new Database(join(d, 'ledger.sqlite'));
    try {
      sql(db);
    } finally {
      db.close();
    }
  };

  before(async () => {
    source = dir();
    const server = await startTestServer({ dataDir: source });
    try {
      await createUser(server, 'alice');
      const jwt = await registerClient(server, { client_id: 'svc-jwt' });
      const opaque = await registerClient(server, { client_id: 'svc-opaque', access_token_format: 'opaque' });
      const token = async (c: { clientId: string; secret: string | null }) => {
        const res = await postForm(
          server,
          '/token',
          { grant_type: 'client_credentials', scope: 'orders:read' },
          basic(c.clientId, c.secret!),
        );
        assert.equal(res.status, 200, res.text);
        return res.body.access_token as string;
      };
      const toRevoke = await token(jwt);
      // A client whose stream holds three events: registration and two secret rotations.
      await registerClient(server, { client_id: 'svc-rotated' });
      for (const n of [1, 2]) {
        const secret = await hashClientSecret(`rotated-${n}-${'x'.repeat(32)}`, true);
        await handleClientCommand(
          server.runtime.ports,
          { type: 'RotateClientSecret', clientId: 'svc-rotated', secret, graceSeconds: 0, now: Date.now() },
          { actor: 'operator:test', correlationId: randomUUID() },
        );
      }
      await token(jwt);
      await token(opaque);
      await token(opaque);
      await sleep(30);
      beforeRevocation = new Date().toISOString();
      await sleep(30);
      assert.equal(
        (await postForm(server, '/revoke', { token: toRevoke }, basic(jwt.clientId, jwt.secret!))).status,
        200,
      );
      await sleep(30);
      afterRevocation = new Date().toISOString();
    } finally {
      await server.close();
    }
    const revoked = rows(source).find((r) => r.type === 'TokenRevoked');
    assert.ok(revoked, 'the ledger holds a revocation');
    revokedJti = JSON.parse(revoked.data).jti;
  });
  after(() => dirs.forEach(removeDir));

  it('verify passes on a sound ledger', async () => {
    const r = await cli(source, 'verify', '--json');
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout);
    assert.equal(report.ok, true);
    assert.equal(report.events, rows(source).length);
    assert.ok(report.streams >= 4);
    assert.ok(report.signedTokens >= 2, 'the JWTs name their signing key and it is checked');
    const human = await cli(source, 'verify');
    assert.equal(human.code, 0);
    assert.match(human.stdout, /^ledger sound: \d+ events/);
  });

  it('verify names an event whose data lost or changed one byte', async () => {
    const d = copy();
    const victim = rows(d).filter((r) => r.type === 'AccessTokenIssued')[1];
    const i = victim.data.indexOf('"scope":"') + 9;
    const data = `${victim.data.slice(0, i)}${victim.data[i] === 'x' ? 'y' : 'x'}${victim.data.slice(i + 1)}`;
    tamper(d, (db) => db.prepare('UPDATE events SET data = ? WHERE position = ?').run(data, victim.position));
    const r = await cli(d, 'verify', '--json');
    assert.equal(r.code, 2, r.stderr);
    const report = JSON.parse(r.stdout);
    assert.equal(report.ok, false);
    assert.deepEqual(
      {
        position: report.firstBad.position,
        stream: report.firstBad.stream,
        id: report.firstBad.id,
        revision: report.firstBad.revision,
      },
      { position: String(victim.position), stream: victim.stream, id: victim.id, revision: victim.revision },
    );
    assert.match(report.firstBad.problem, /hash does not match/);
    const line = await cli(d, 'verify');
    assert.equal(line.code, 2);
    assert.equal(line.stdout.trim().split('\n').length, 1);
    assert.match(
      line.stdout,
      new RegExp(
        `position ${victim.position} \\(stream ${victim.stream}, id ${victim.id}, revision ${victim.revision}`,
      ),
    );
  });

  it('verify names the gap and the broken chain when an event in the middle of a stream is deleted', async () => {
    const d = copy();
    const all = rows(d);
    const counts = new Map<string, number>();
    for (const r of all) counts.set(r.stream, (counts.get(r.stream) ?? 0) + 1);
    const victim = all.find((r) => r.revision === 1 && counts.get(r.stream)! >= 3)!;
    assert.ok(victim, 'a stream with three events');
    const successor = all.find((r) => r.stream === victim.stream && r.revision === 2)!;
    tamper(d, (db) => db.prepare('DELETE FROM events WHERE position = ?').run(victim.position));
    const r = await cli(d, 'verify', '--json');
    assert.equal(r.code, 2, r.stderr);
    const report = JSON.parse(r.stdout);
    assert.match(report.firstBad.problem, new RegExp(`position ${victim.position} is missing`));
    const chain = report.problems.find((p: { id: string }) => p.id === successor.id);
    assert.ok(chain, `the stream's next event is named: ${r.stdout}`);
    assert.equal(chain.stream, victim.stream);
    assert.match(chain.problem, /revision 2 where 1 was expected/);
    assert.match(chain.problem, /prevHash/);
  });

  it('verify catches the deletion of the last event of the ledger', async () => {
    const d = copy();
    const last = rows(d).at(-1)!;
    tamper(d, (db) => db.prepare('DELETE FROM events WHERE position = ?').run(last.position));
    const r = await cli(d, 'verify', '--json');
    assert.equal(r.code, 2, r.stderr);
    const report = JSON.parse(r.stdout);
    assert.equal(report.firstBad.position, String(last.position));
    assert.match(report.firstBad.problem, /deleted/);
  });

  it('verify catches two events whose data were swapped', async () => {
    const d = copy();
    const [a, b] = rows(d).filter((r) => r.type === 'AccessTokenIssued');
    tamper(d, (db) => {
      db.prepare('UPDATE events SET data = ? WHERE position = ?').run(b.data, a.position);
      db.prepare('UPDATE events SET data = ? WHERE position = ?').run(a.data, b.position);
    });
    const r = await cli(d, 'verify', '--json');
    assert.equal(r.code, 2);
    const report = JSON.parse(r.stdout);
    assert.equal(report.firstBad.id, a.id);
    assert.ok(report.problems.some((p: { id: string }) => p.id === b.id));
  });

  it('verify catches two events whose revisions were swapped', async () => {
    const d = copy();
    const all = rows(d);
    const a = all.find((r) => r.revision === 0 && all.some((o) => o.stream === r.stream && o.revision === 1))!;
    const b = all.find((r) => r.stream === a.stream && r.revision === 1)!;
    tamper(d, (db) => {
      db.prepare('UPDATE events SET revision = -1 WHERE position = ?').run(a.position);
      db.prepare('UPDATE events SET revision = 0 WHERE position = ?').run(b.position);
      db.prepare('UPDATE events SET revision = 1 WHERE position = ?').run(a.position);
    });
    const r = await cli(d, 'verify', '--json');
    assert.equal(r.code, 2);
    const report = JSON.parse(r.stdout);
    assert.equal(report.firstBad.id, a.id);
    assert.equal(report.firstBad.position, String(a.position));
    assert.match(report.firstBad.problem, /revision 1 where 0 was expected/);
  });

  it('verify names a token signed with a key that never existed, even when its hash was recomputed', async () => {
    const d = copy();
    const all = rows(d);
    const victim = all.find(
      (r) =>
        r.type === 'AccessTokenIssued' &&
        JSON.parse(r.data).kid !== null &&
        !all.some((o) => o.stream === r.stream && o.revision === 1),
    )!;
    assert.ok(victim, 'an unrevoked JWT access token');
    tamper(d, (db) => {
      const row = db
        .prepare('SELECT data, metadata, prev_hash FROM events WHERE position = ?')
        .get(victim.position) as { data: string; metadata: string; prev_hash: string };
      const data = JSON.stringify({ ...JSON.parse(row.data), kid: 'forged-kid' });
      // Whoever can rewrite the file can also recompute an unkeyed hash: the key check and the seal are left.
      const hash = hashEvent(victim.id, victim.stream, victim.revision, victim.type, data, row.metadata, row.prev_hash);
      db.prepare('UPDATE events SET data = ?, hash = ? WHERE position = ?').run(data, hash, victim.position);
    });
    const r = await cli(d, 'verify', '--json');
    assert.equal(r.code, 2, r.stdout);
    const report = JSON.parse(r.stdout);
    assert.equal(report.problemCount, 2, r.stdout);
    // The server sealed the ledger at shutdown: the seal no longer matches either.
    assert.match(report.problems[1].problem, /no longer matches this seal/);
    assert.equal(report.firstBad.id, victim.id);
    assert.match(
      report.firstBad.problem,
      /signed with key forged-kid, which no earlier SigningKeyGenerated event created/,
    );
  });

  it('replay --json prints the same counts and digest every time', async () => {
    const one = await cli(source, 'replay', '--json');
    const two = await cli(source, 'replay', '--json');
    assert.equal(one.code, 0, one.stderr);
    assert.equal(one.stdout, two.stdout);
    const s = JSON.parse(one.stdout);
    assert.match(s.digest, /^[0-9a-f]{64}$/);
    assert.equal(s.events, rows(source).length);
    // The test's three, and the console's own client the server registers at start.
    assert.equal(s.clients, 4);
    assert.deepEqual(s.perClient['svc-rotated'], { issued: 0, active: 0, revoked: 0, expired: 0 });
    assert.equal(s.users, 1);
    assert.deepEqual(s.tokens, { issued: 4, active: 3, revoked: 1, expired: 0 });
    assert.deepEqual(s.perClient['svc-jwt'], { issued: 2, active: 1, revoked: 1, expired: 0 });
    assert.deepEqual(s.perClient['svc-opaque'], { issued: 2, active: 2, revoked: 0, expired: 0 });
    assert.deepEqual(Object.keys(s).sort(), [
      'asOf',
      'clients',
      'digest',
      'events',
      'grants',
      'idTokensIssued',
      'perClient',
      'refreshTokensIssued',
      'streams',
      'tokens',
      'users',
    ]);
    const human = await cli(source, 'replay');
    assert.match(human.stdout, new RegExp(`digest ${s.digest}`));
  });

  it('replay --until shows the token active before its revocation and revoked after', async () => {
    const before = JSON.parse((await cli(source, 'replay', '--until', beforeRevocation, '--json')).stdout);
    const after = JSON.parse((await cli(source, 'replay', '--until', afterRevocation, '--json')).stdout);
    assert.deepEqual(before.perClient['svc-jwt'], { issued: 2, active: 2, revoked: 0, expired: 0 });
    assert.deepEqual(after.perClient['svc-jwt'], { issued: 2, active: 1, revoked: 1, expired: 0 });
    assert.notEqual(before.digest, after.digest);
    const revocation = rows(source).find((r) => r.type === 'TokenRevoked')!;
    const atPosition = JSON.parse(
      (await cli(source, 'replay', '--until', String(revocation.position - 1), '--json')).stdout,
    );
    assert.equal(atPosition.tokens.revoked, 0);
    assert.equal(atPosition.events, revocation.position - 1);
    assert.ok(revokedJti);
    const bad = await cli(source, 'replay', '--until', 'yesterday');
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /--until "yesterday" is invalid/);
  });

  it('export → import into a fresh ledger gives the identical replay, and verify passes', async () => {
    const file = join(dir(), 'ledger.ndjson');
    const ex = await cli(source, 'export', '--out', file, '--json');
    assert.equal(ex.code, 0, ex.stderr);
    const lines = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.equal(lines.length, rows(source).length);
    assert.deepEqual(Object.keys(lines[0]).sort(), [
      'data',
      'id',
      'metadata',
      'position',
      'recordedAt',
      'revision',
      'stream',
      'type',
    ]);
    assert.equal(typeof lines[0].position, 'string');
    assert.ok(lines[0].metadata.hash);

    const target = dir();
    const im = await cli(target, 'import', '--in', file, '--json');
    assert.equal(im.code, 0, im.stderr);
    assert.equal(JSON.parse(im.stdout).events, lines.length);
    assert.equal((await cli(target, 'verify')).code, 0);
    assert.equal((await cli(target, 'replay', '--json')).stdout, (await cli(source, 'replay', '--json')).stdout);
    const reexport = join(dir(), 'again.ndjson');
    await cli(target, 'export', '--out', reexport);
    const strip = (t: string) =>
      t
        .trim()
        .split('\n')
        .map((l) => {
          const { recordedAt: _r, ...rest } = JSON.parse(l);
          return rest;
        });
    assert.deepEqual(strip(readFileSync(reexport, 'utf8')), strip(readFileSync(file, 'utf8')));

    const refused = await cli(target, 'import', '--in', file);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^token-ledger: refusing to import: the ledger is not empty/);
    assert.equal(refused.stderr.trim().split('\n').length, 1);
  });

  it('export --category writes only that category, marked as such; import refuses it and leaves the ledger empty', async () => {
    for (const category of ['client', 'token', 'keyring']) {
      const file = join(dir(), `${category}.ndjson`);
      assert.equal((await cli(source, 'export', '--out', file, '--category', category)).code, 0);
      const lines = readFileSync(file, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      assert.ok(lines.length >= 2);
      assert.ok(lines.every((l) => l.stream.startsWith(`${category}-`) && l.exportedCategory === category));

      const target = dir();
      const r = await cli(target, 'import', '--in', file);
      assert.equal(r.code, 1);
      assert.match(
        lastLine(r.stderr),
        new RegExp(
          `^token-ledger: refusing to import: .* was exported with --category ${category}: it holds the ${category} streams only and cannot stand as a ledger; to move a ledger, export it whole \\(token-ledger export without --category\\)`,
        ),
      );
      assert.ok(!existsSync(join(target, 'ledger.sqlite')), 'nothing was written, not even an empty ledger');
    }
  });

  it('import refuses a category export made before the mark, or a file filtered by hand: tokens without their keys, positions no prune accounts for', async () => {
    const file = join(dir(), 'token-old.ndjson');
    assert.equal((await cli(source, 'export', '--out', file, '--category', 'token')).code, 0);
    const unmarked = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => {
        const { exportedCategory: _c, ...rest } = JSON.parse(l);
        return JSON.stringify(rest);
      });
    writeFileSync(file, `${unmarked.join('\n')}\n`);
    const target = dir();
    const token = await cli(target, 'import', '--in', file);
    assert.equal(token.code, 1);
    assert.match(
      lastLine(token.stderr),
      /^token-ledger: refusing to import: .* line 1 \(stream token-.*\): signed with key \S+, which no earlier SigningKeyGenerated event in the file created: the file is not a whole-ledger export .*without --category/,
    );
    assert.ok(!existsSync(join(target, 'ledger.sqlite')), 'nothing was written, not even an empty ledger');

    // The whole ledger but its client streams: every remaining chain is complete, positions have holes.
    const all = join(dir(), 'all.ndjson');
    assert.equal((await cli(source, 'export', '--out', all)).code, 0);
    const filtered = join(dir(), 'no-clients.ndjson');
    writeFileSync(
      filtered,
      readFileSync(all, 'utf8')
        .split('\n')
        .filter((l) => !l.includes('"stream":"client-'))
        .join('\n'),
    );
    const holes = await cli(dir(), 'import', '--in', filtered);
    assert.equal(holes.code, 1);
    assert.match(
      lastLine(holes.stderr),
      /^token-ledger: refusing to import: .* line \d+: positions? [\d–]+ (is|are) missing before it and no LedgerPruned record accounts for \d+ of the \d+ missing positions: the file is not a whole-ledger export .*without --category/,
    );
  });

  it('import refuses a tampered file naming the line', async () => {
    const all = join(dir(), 'all.ndjson');
    await cli(source, 'export', '--out', all);
    const text = readFileSync(all, 'utf8').split('\n');
    const n = text.findIndex((l) => l.includes('"AccessTokenIssued"'));
    text[n] = text[n].replace('"orders:read"', '"orders:write"');
    writeFileSync(all, text.join('\n'));
    const target = dir();
    const r = await cli(target, 'import', '--in', all);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`line ${n + 1} .*hash does not match`));
    assert.ok(!existsSync(join(target, 'ledger.sqlite')), 'a refused file creates no ledger');
  });
});
