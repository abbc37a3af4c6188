import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadConfig, ConfigError } from '../../src/config/config.js';
import { runNode, SERVER } from '../helpers/cli.js';
import { removeDir, tempDir } from '../helpers/server.js';
import { newSecret } from '../helpers/webhookReceiver.js';

const dir = tempDir();
const secret = newSecret();

function file(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

function refused(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.message;
  }
  assert.fail('expected a ConfigError');
}

describe('EVENT_SINKS_FILE and EVENT_SINKS_* at startup', () => {
  after(() => removeDir(dir));

  it('reads a valid file, with the defaults filled in', () => {
    const path = file('ok.json', JSON.stringify({ sinks: [{ id: 'siem', url: 'https://siem.example/', secret }] }));
    const config = loadConfig({ EVENT_SINKS_FILE: path });
    assert.deepEqual(config.eventSinks.fileSinks, [
      { id: 'siem', url: 'https://siem.example/', secret, parkAfterSeconds: 86400, source: 'file' },
    ]);
    assert.equal(config.eventSinks.deliver, true);
    assert.equal(config.eventSinks.timeoutMs, 10_000);
  });

  const sink = (extra: object) =>
    JSON.stringify({ sinks: [{ id: 'siem', url: 'https://siem.example/', secret, ...extra }] });
  const cases: Array<[string, string, string]> = [
    ['missing.json', '', 'cannot read it (ENOENT)'],
    [
      'text.json',
      'sinks: []',
      'expected JSON such as {"sinks":[{"id":"siem","url":"https://siem.example/hook","secret":"whsec_…"}]}',
    ],
    [
      'array.json',
      '[]',
      'expected an object with one key, sinks, such as {"sinks":[{"id":"siem","url":"https://siem.example/hook","secret":"whsec_…"}]}',
    ],
    ['nosinks.json', '{"sinks":{}}', 'sinks: expected an array'],
    [
      'nosecret.json',
      '{"sinks":[{"id":"a","url":"https://a.example/"}]}',
      'sinks[0]: secret: expected a string whsec_…',
    ],
    [
      'badsecret.json',
      sink({ secret: 'whsec_short' }),
      'sinks[0]: secret: expected whsec_ followed by 24 to 64 random bytes in base64',
    ],
    [
      'http.json',
      sink({ url: 'http://siem.example/' }),
      'sinks[0]: url: http is allowed only for a loopback receiver; use https',
    ],
    [
      'loopback.json',
      sink({ url: 'http://127.0.0.1:8080/' }),
      'sinks[0]: url: http needs EVENT_SINKS_ALLOW_HTTP_LOOPBACK=true',
    ],
    ['type.json', sink({ types: ['NoSuchEvent'] }), 'sinks[0]: types: not event types: NoSuchEvent'],
    [
      'park.json',
      sink({ parkAfterSeconds: 0 }),
      'sinks[0]: /parkAfterSeconds Expected integer to be greater or equal to 1',
    ],
    ['extra.json', sink({ retries: 3 }), 'sinks[0]: /retries Unexpected property'],
  ];
  for (const [name, content, why] of cases) {
    it(`refuses ${name}: ${why}`, () => {
      const path = name === 'missing.json' ? join(dir, name) : file(name, content);
      assert.equal(refused({ EVENT_SINKS_FILE: path }), `EVENT_SINKS_FILE=${JSON.stringify(path)} is invalid: ${why}`);
    });
  }

  it('refuses the same id twice', () => {
    const one = { id: 'siem', url: 'https://siem.example/', secret };
    const path = file('twice.json', JSON.stringify({ sinks: [one, one] }));
    assert.match(refused({ EVENT_SINKS_FILE: path }), /sinks\[1\]: id siem is used twice$/);
  });

  it('refuses bad EVENT_SINKS_* values', () => {
    assert.equal(
      refused({ EVENT_SINKS_DELIVERY: 'maybe' }),
      'EVENT_SINKS_DELIVERY="maybe" is invalid: expected one of on, off',
    );
    assert.equal(
      refused({ EVENT_SINKS_TIMEOUT_MS: '5' }),
      'EVENT_SINKS_TIMEOUT_MS="5" is invalid: expected a whole number from 100 to 120000',
    );
  });

  it('the server process refuses to start with one line, creating nothing', async () => {
    const data = join(dir, 'data');
    const path = file('bad.json', sink({ url: 'ftp://siem.example/' }));
    const ran = await runNode(SERVER, [], { PORT: '0', DATA_DIR: data, EVENT_SINKS_FILE: path });
    assert.equal(ran.code, 1);
    assert.deepEqual(ran.stderr.trim().split('\n'), [
      `token-ledger: EVENT_SINKS_FILE=${JSON.stringify(path)} is invalid: sinks[0]: url: expected https, not ftp`,
    ]);
    assert.equal(existsSync(data), false);
  });
});
