/**
 * The compose files cannot be started here (no Docker engine); this checks what can be checked
 * without one: both parse as YAML (through python3's PyYAML, the only YAML parser on the machine;
 * the test skips without it), name the services they promise, and keep the EventStoreDB CA key out
 * of the nodes.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const probe = spawnSync('python3', ['-c', 'import yaml'], { encoding: 'utf8' });
const skip =
  probe.status === 0 ? undefined : 'python3 with PyYAML is not installed: the compose files cannot be parsed here';

type Service = {
  environment?: Record<string, unknown>;
  volumes?: string[];
  depends_on?: Record<string, unknown>;
  healthcheck?: { test: string[] };
};
type Compose = { services: Record<string, Service>; volumes: Record<string, unknown> };

function load(file: string): Compose {
  const r = spawnSync(
    'python3',
    ['-c', 'import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))', root + file],
    { encoding: 'utf8' },
  );
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as Compose;
}

describe('compose files', { skip }, () => {
  it('PostgreSQL: two instances on one database, one secret, each its own cache, nginx in front', () => {
    const c = load('docker-compose.postgres.yml');
    assert.deepEqual(Object.keys(c.services).sort(), ['app1', 'app2', 'cache-init', 'postgres', 'proxy']);
    const [a, b] = [c.services.app1, c.services.app2];
    for (const app of [a, b]) {
      assert.match(
        String(app.environment!.DATABASE_URL),
        /^postgres:\/\/token_ledger:\$\{POSTGRES_PASSWORD[^}]*\}@postgres:5432\/token_ledger$/,
      );
      assert.equal(app.environment!.DATA_DIR, '/var/lib/token-ledger');
      assert.deepEqual(Object.keys(app.depends_on!).sort(), ['cache-init', 'postgres']);
    }
    assert.equal(a.environment!.KEY_ENCRYPTION_SECRET, b.environment!.KEY_ENCRYPTION_SECRET);
    assert.deepEqual(
      [a.volumes, b.volumes],
      [['app1-cache:/var/lib/token-ledger'], ['app2-cache:/var/lib/token-ledger']],
    );
    assert.ok(c.services.proxy.volumes!.includes('./deploy/nginx.conf:/etc/nginx/nginx.conf:ro'));
    assert.deepEqual(Object.keys(c.volumes).sort(), ['app1-cache', 'app2-cache', 'pg-data']);
  });

  it('EventStoreDB: the nodes never mount the CA key, and are healthy only once a leader is elected', () => {
    const c = load('docker-compose.yml');
    for (const n of ['node1', 'node2', 'node3']) {
      const node = c.services[n];
      assert.ok(!node.volumes!.some((v) => v.startsWith('esdb-ca:')), `${n} mounts the CA volume`);
      assert.match(node.healthcheck!.test.join(' '), new RegExp(`https://${n}:2113/info .*leader\\|follower`));
    }
    assert.ok(c.services['cert-gen'].volumes!.includes('esdb-ca:/ca'));
    for (const app of ['app1', 'app2'])
      assert.ok(!c.services[app].volumes!.some((v) => v.startsWith('esdb-ca:') || v.startsWith('esdb-certs:')));
  });
});
