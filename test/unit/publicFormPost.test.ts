import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { LookupAddress } from 'node:dns';
import { postFormToPublicAddress } from '../../src/registration/publicFormPost.js';

const PUBLIC_ONLY = 'only public addresses are posted to for a self-registered client';

describe('postFormToPublicAddress (a self-registered client endpoint: public addresses only)', () => {
  let server: Server;
  let port: number;
  let hits = 0;
  before(async () => {
    server = createServer((_req, res) => {
      hits++;
      res.writeHead(200).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as { port: number }).port;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  /** A resolver that answers `addresses` for every name, as a DNS server under an attacker's control may. */
  const resolvesTo =
    (...addresses: string[]) =>
    (): Promise<LookupAddress[]> =>
      Promise.resolve(addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })));

  const post = (url: string, resolve = resolvesTo('127.0.0.1')) =>
    postFormToPublicAddress(url, 'logout_token=x', { timeoutMs: 2000, resolve });

  it('given IP-literal hosts of this machine or a private network, when posted to, then refused and nothing is sent', async () => {
    const cases: [string, string][] = [
      [`http://127.0.0.1:${port}/bcl`, '127.0.0.1 is not a public address (loopback)'],
      [`http://[::1]:${port}/bcl`, '::1 is not a public address (loopback)'],
      [
        `http://[::ffff:127.0.0.1]:${port}/bcl`,
        '::ffff:7f00:1 is not a public address (loopback (IPv4 127.0.0.1 inside IPv6))',
      ],
      ['https://10.1.2.3/bcl', '10.1.2.3 is not a public address (private)'],
      ['http://169.254.169.254/latest/meta-data', '169.254.169.254 is not a public address (link-local)'],
      ['http://0.0.0.0:9/', '0.0.0.0 is not a public address (unspecified)'],
    ];
    for (const [url, why] of cases) assert.equal(await post(url), `refused: ${why}; ${PUBLIC_ONLY}`, url);
    assert.equal(hits, 0);
  });

  it('given a name that resolves to loopback, or to a public and a loopback address, then refused before connecting', async () => {
    assert.equal(
      await post(`http://localhost:${port}/bcl`),
      `refused: localhost resolves to a loopback address (127.0.0.1); ${PUBLIC_ONLY}`,
    );
    assert.equal(
      await post(`http://rebind.example:${port}/bcl`, resolvesTo('93.184.215.14', '::1')),
      `refused: rebind.example resolves to a loopback address (::1); ${PUBLIC_ONLY}`,
    );
    assert.equal(hits, 0);
  });

  it('given a name with no address, or not a URL, then the reason is the outcome (never a throw)', async () => {
    assert.equal(
      await post('http://nowhere.example/bcl', resolvesTo()),
      `refused: nowhere.example has no address; ${PUBLIC_ONLY}`,
    );
    assert.equal(await post('not a url'), 'not an absolute URL');
    assert.equal(await post('ftp://files.example/bcl'), 'ftp: is not http(s)');
  });
});
