/**
 * The sealed ledger end to end: a server seals on its timer and at shutdown (and writes each seal to the export
 * file), `verify` checks every seal, `prove` prints inclusion and consistency proofs that `verify-proof` (and the
 * browser module's functions, called here directly) accept with only the published seal keys, forged proofs are
 * refused with their reason, and an event rewritten with its stream's chain recomputed is caught by the seal.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import Database from 'better-sqlite3';
import { exportJWK } from 'jose';
import { runCli } from '../helpers/cli.js';
import { removeDir, startTestServer, tempDir, type TestServer } from '../helpers/server.js';
import { basic, postForm, registerClient } from '../helpers/oauth.js';
import { hashEvent } from '../../src/eventsourcing/integrity.js';
import { signSeal } from '../../src/application/seals.js';
import {
  verifyConsistencyProof,
  verifyInclusionProof,
  type ConsistencyProof,
  type InclusionProof,
  type Jwks,
} from '../../src/sdk/ledger-proof.js';

const cli = (dataDir: string, ...args: string[]) => runCli(args, { DATA_DIR: dataDir, LOG_LEVEL: 'silent' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('sealed ledger: seals, verify, prove, offline verifier', () => {
  const dirs: string[] = [];
  const dir = () => {
    const d = tempDir('tl-seals-');
    dirs.push(d);
    return d;
  };
  let source: string;
  let exportFile: string;
  let tokenEventId: string;
  let published: Jwks;

  const tokenFor = async (server: TestServer, c: { clientId: string; secret: string | null }) => {
    const res = await postForm(
      server,
      '/token',
      { grant_type: 'client_credentials', scope: 'orders:read' },
      basic(c.clientId, c.secret!),
    );
    assert.equal(res.status, 200, res.text);
  };
  const sealRows = (d: string) => {
    const db = new Database(join(d, 'ledger.sqlite'), { readonly: true });
    try {
      return db.prepare(`SELECT id, data FROM events WHERE type = 'LedgerSealed' ORDER BY position`).all() as Array<{
        id: string;
        data: string;
      }>;
    } finally {
      db.close();
    }
  };

  before(async () => {
    source = dir();
    exportFile = join(dir(), 'seals.ndjson');
    const server = await startTestServer({
      dataDir: source,
      env: { SEAL_INTERVAL_SECONDS: '1', SEAL_EXPORT_FILE: exportFile },
    });
    try {
      const c = await registerClient(server, { client_id: 'svc' });
      await tokenFor(server, c);
      // The timer seals within a second of the ledger growing.
      for (let i = 0; i < 100 && sealRows(source).length === 0; i++) await sleep(50);
      assert.ok(sealRows(source).length >= 1, 'a seal appears after the interval');
      await tokenFor(server, c);
      const res = await server.fetch(`${server.url}/.well-known/ledger-seal-keys`);
      assert.equal(res.status, 200);
      published = (await res.json()) as Jwks;
      assert.equal(published.keys.length, 1);
      assert.equal(published.keys[0].crv, 'P-256');
      assert.equal('d' in published.keys[0], false, 'never the private half');
    } finally {
      await server.close(); // seals once more at shutdown
    }
    const db = new Database(join(source, 'ledger.sqlite'), { readonly: true });
    try {
      tokenEventId = (
        db.prepare(`SELECT id FROM events WHERE type = 'AccessTokenIssued' ORDER BY position LIMIT 1`).get() as {
          id: string;
        }
      ).id;
    } finally {
      db.close();
    }
  });

  after(() => {
    for (const d of dirs) removeDir(d);
  });

  it('seals at shutdown, writes every seal to SEAL_EXPORT_FILE, and verify checks them all', async () => {
    const seals = sealRows(source);
    assert.ok(seals.length >= 2, 'the timer seal and the shutdown seal');
    const exported = readFileSync(exportFile, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as object);
    assert.deepEqual(
      exported,
      seals.map((s) => JSON.parse(s.data) as object),
    );
    const r = await cli(source, 'verify', '--json');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const report = JSON.parse(r.stdout) as { ok: boolean; merkle: { seals: number; treeSize: number } };
    assert.equal(report.merkle.seals, seals.length);
    const key = await cli(source, 'seals', 'key');
    assert.deepEqual(JSON.parse(key.stdout), published);
  });

  it('proves an issuance offline, and refuses a forged proof with its reason', async () => {
    const r = await cli(source, 'prove', '--event', tokenEventId);
    assert.equal(r.code, 0, r.stderr);
    const proof = JSON.parse(r.stdout) as InclusionProof;
    assert.equal(proof.event.id, tokenEventId);
    assert.equal((await verifyInclusionProof(proof, published)).ok, true);

    const files = dir();
    const jwksFile = join(files, 'jwks.json');
    writeFileSync(jwksFile, JSON.stringify(published));
    const proofFile = join(files, 'proof.json');
    writeFileSync(proofFile, JSON.stringify(proof));
    const ok = await cli(source, 'verify-proof', proofFile, '--jwks', jwksFile);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /^proof holds: sealed tree of \d+ events/);

    const refused = async (forged: InclusionProof, reason: RegExp, jwks = published) => {
      const result = await verifyInclusionProof(forged, jwks);
      assert.equal(result.ok, false);
      assert.match((result as { reason: string }).reason, reason);
    };
    const flip = (h: string) => (h[0] === 'A' ? 'B' : 'A') + h.slice(1);
    if (proof.auditPath.length > 0)
      await refused({ ...proof, auditPath: [flip(proof.auditPath[0]), ...proof.auditPath.slice(1)] }, /audit path/);
    await refused({ ...proof, leafIndex: proof.leafIndex + 1 }, /audit path|not below/);
    await refused({ ...proof, treeSize: proof.treeSize + 1 }, /seal signs/);
    await refused(
      { ...proof, event: { ...proof.event, data: { ...(proof.event.data as object), scope: 'admin' } } },
      /content does not match its hash/,
    );
    await refused({ ...proof, seal: { ...proof.seal, treeSize: proof.seal.treeSize + 1 } }, /differ from what its JWS/);
    // A seal signed by another key under the same kid, and one whose key the auditor does not have.
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jws = await signSeal(
      { treeSize: proof.seal.treeSize, rootHash: proof.seal.rootHash, sealedAt: proof.seal.sealedAt },
      proof.seal.kid,
      other.privateKey,
    );
    await refused({ ...proof, seal: { ...proof.seal, jws } }, /signature does not verify/);
    const stranger = { keys: [{ ...(await exportJWK(other.publicKey)), kid: 'stranger' }] } as Jwks;
    await refused(proof, /not in the given seal keys/, stranger);

    writeFileSync(proofFile, JSON.stringify({ ...proof, leafIndex: proof.leafIndex + 1 }));
    const cliRefused = await cli(source, 'verify-proof', proofFile, '--jwks', jwksFile);
    assert.equal(cliRefused.code, 2);
    assert.match(cliRefused.stdout, /^proof refused: /);
  });

  it('proves that a later seal extends an earlier one', async () => {
    const seals = sealRows(source).map((s) => JSON.parse(s.data) as { treeSize: number });
    const first = seals[0];
    const r = await cli(source, 'prove', '--from-seal', String(first.treeSize));
    assert.equal(r.code, 0, r.stderr);
    const proof = JSON.parse(r.stdout) as ConsistencyProof;
    assert.equal(proof.to.treeSize, seals[seals.length - 1].treeSize);
    assert.equal((await verifyConsistencyProof(proof, published)).ok, true);
    if (proof.path.length > 0) {
      const forged = { ...proof, path: [...proof.path.slice(0, -1), proof.path[0]] };
      const result = await verifyConsistencyProof(forged, published);
      assert.equal(result.ok, false);
    }
    const swapped = await verifyConsistencyProof({ ...proof, from: proof.to, to: proof.from }, published);
    assert.equal(swapped.ok, seals.length === 1);
  });

  it('catches an event rewritten with its stream chain recomputed: the seal no longer matches', async () => {
    const d = dir();
    cpSync(source, d, { recursive: true });
    const kept = await cli(source, 'seals', 'latest');
    assert.equal(kept.code, 0, kept.stderr);
    const db = new Database(join(d, 'ledger.sqlite'));
    try {
      const victim = db.prepare('SELECT * FROM events WHERE id = ?').get(tokenEventId) as {
        stream: string;
        revision: number;
      };
      const stream = db
        .prepare('SELECT * FROM events WHERE stream = ? AND revision >= ? ORDER BY revision')
        .all(victim.stream, victim.revision) as Array<{
        position: number;
        id: string;
        stream: string;
        revision: number;
        type: string;
        data: string;
        metadata: string;
        prev_hash: string;
      }>;
      let prevHash = stream[0].prev_hash;
      for (const [i, row] of stream.entries()) {
        const data = i === 0 ? JSON.stringify({ ...JSON.parse(row.data), scope: 'admin' }) : row.data;
        const hash = hashEvent(row.id, row.stream, row.revision, row.type, data, row.metadata, prevHash);
        db.prepare('UPDATE events SET data = ?, prev_hash = ?, hash = ? WHERE position = ?').run(
          data,
          prevHash,
          hash,
          row.position,
        );
        prevHash = hash;
      }
    } finally {
      db.close();
    }
    const r = await cli(d, 'verify', '--json');
    assert.equal(r.code, 2, r.stdout + r.stderr);
    const report = JSON.parse(r.stdout) as { problems: Array<{ type: string; problem: string }> };
    // Every chain is sound again; only the seals see it.
    assert.ok(
      report.problems.every((p) => p.type === 'LedgerSealed'),
      JSON.stringify(report.problems),
    );
    assert.match(report.problems[0].problem, /no longer matches this seal/);

    const keptFile = join(dir(), 'kept.json');
    writeFileSync(keptFile, kept.stdout);
    const withKept = await cli(d, 'verify', '--seal', keptFile, '--json');
    assert.equal(withKept.code, 2);
    assert.match(withKept.stdout, /does not extend the kept seal/);
    assert.equal((await cli(source, 'verify', '--seal', keptFile)).code, 0);
  });

  it('rotates the seal key: new seals are signed by the new key, the old one stays published', async () => {
    const d = dir();
    cpSync(source, d, { recursive: true });
    const rotated = await cli(d, 'seals', 'rotate-key', '--json');
    assert.equal(rotated.code, 0, rotated.stderr);
    const { kid } = JSON.parse(rotated.stdout) as { kid: string };
    const server = await startTestServer({ dataDir: d });
    try {
      const c = await registerClient(server, { client_id: 'after-rotation' });
      assert.equal(c.clientId, 'after-rotation');
      const seal = await server.sealer.sealNow();
      assert.equal(seal?.kid, kid);
      const keys = (await (await server.fetch(`${server.url}/.well-known/ledger-seal-keys`)).json()) as Jwks;
      assert.deepEqual(
        keys.keys.map((k) => k.kid),
        [published.keys[0].kid, kid],
      );
    } finally {
      await server.close();
    }
    const r = await cli(d, 'verify', '--json');
    assert.equal(r.code, 0, r.stdout);
  });

  it('refuses to prove what it cannot, with the reason', async () => {
    const r = await cli(source, 'prove', '--event', '00000000-0000-7000-8000-000000000000');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no event 00000000-0000-7000-8000-000000000000 in the ledger/);
    assert.equal(existsSync(join(source, 'ledger.sqlite')), true);
  });
});

describe('sealed ledger after prune, restart and export/import', () => {
  const dirs: string[] = [];
  after(() => dirs.forEach(removeDir));

  it('keeps every seal verifiable and proofs of the remaining events possible', async () => {
    let server = await startTestServer();
    const dataDir = server.dataDir;
    dirs.push(dataDir);
    const short = await registerClient(server, { client_id: 'short', access_token_ttl: 1 });
    const keep = await registerClient(server, { client_id: 'keep' });
    const issue = (c: { clientId: string; secret: string | null }) =>
      postForm(server, '/token', { grant_type: 'client_credentials' }, basic(c.clientId, c.secret!));
    await issue(short);
    await issue(short);
    assert.ok(await server.sealer.sealNow(), 'a seal between the events to prune');
    await issue(short);
    await issue(keep);
    await server.close();

    await sleep(2100);
    const pruned = await cli(dataDir, 'prune', '--before', new Date().toISOString(), '--json');
    assert.equal(pruned.code, 0, pruned.stderr);
    assert.equal(JSON.parse(pruned.stdout).events, 3);
    const verified = await cli(dataDir, 'verify', '--json');
    assert.equal(verified.code, 0, verified.stdout);
    assert.equal(JSON.parse(verified.stdout).merkle.seals, 2);

    const jwks = JSON.parse((await cli(dataDir, 'seals', 'key')).stdout) as Jwks;
    const db = new Database(join(dataDir, 'ledger.sqlite'), { readonly: true });
    const kept = db.prepare(`SELECT id FROM events WHERE type = 'AccessTokenIssued'`).all() as Array<{ id: string }>;
    db.close();
    assert.equal(kept.length, 1);
    const proof = JSON.parse((await cli(dataDir, 'prove', '--event', kept[0].id)).stdout) as InclusionProof;
    assert.equal((await verifyInclusionProof(proof, jwks)).ok, true);
    const sizes = sealRowsOf(dataDir).map((x) => x.treeSize);
    const consistency = await cli(dataDir, 'prove', '--from-seal', String(sizes[0]), '--to-seal', String(sizes[1]));
    assert.equal(consistency.code, 0, consistency.stderr);
    assert.equal((await verifyConsistencyProof(JSON.parse(consistency.stdout) as ConsistencyProof, jwks)).ok, true);

    // A server without its saved frontier rebuilds it over the pruned runs; its next seal must match verify's tree.
    rmSync(join(dataDir, 'views', 'merkle.json'));
    server = await startTestServer({ dataDir });
    await issue(keep);
    assert.ok(await server.sealer.sealNow());
    await server.close(); // nothing new since that seal: no second one

    const again = await cli(dataDir, 'verify', '--json');
    assert.equal(again.code, 0, again.stdout);
    assert.equal(JSON.parse(again.stdout).merkle.seals, 3);

    // An export imported elsewhere (positions numbered afresh) keeps the same tree.
    const copy = tempDir('tl-seals-import-');
    dirs.push(copy);
    const file = join(copy, 'export.ndjson');
    assert.equal((await cli(dataDir, 'export', '--out', file)).code, 0);
    const target = join(copy, 'data');
    const imported = await cli(target, 'import', '--in', file);
    assert.equal(imported.code, 0, imported.stderr);
    const importedReport = await cli(target, 'verify', '--json');
    assert.equal(importedReport.code, 0, importedReport.stdout);
    assert.equal(JSON.parse(importedReport.stdout).merkle.seals, 3);
  });
});

function sealRowsOf(d: string): Array<{ treeSize: number }> {
  const db = new Database(join(d, 'ledger.sqlite'), { readonly: true });
  try {
    return (
      db.prepare(`SELECT data FROM events WHERE type = 'LedgerSealed' ORDER BY position`).all() as Array<{
        data: string;
      }>
    ).map((r) => JSON.parse(r.data) as { treeSize: number });
  } finally {
    db.close();
  }
}
