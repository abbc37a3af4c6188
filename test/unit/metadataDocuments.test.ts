/** Client ID metadata documents: URL rules, address classes, cache lifetimes, the document rules and the decider. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { forbiddenAddress } from '../../src/registration/addressRanges.js';
import { clientIdUrl } from '../../src/registration/clientIdUrl.js';
import { cacheSeconds, DEFAULT_CACHE_LIMITS, FreshDocuments } from '../../src/registration/metadataDocumentCache.js';
import { fetchMetadataDocument } from '../../src/registration/metadataDocumentFetcher.js';
import { MetadataDocumentRefused } from '../../src/registration/metadataDocumentRefused.js';
import { metadataFromDocument } from '../../src/domain/clients/metadataDocument.js';
import { clientDecider } from '../../src/domain/clients/decider.js';
import type { ClientEvent } from '../../src/domain/clients/events.js';
import { ClientRegistered, ClientUpdated } from '../../src/domain/clients/events.js';
import { clientStream } from '../../src/domain/clients/streams.js';
import { ClientMetadataError } from '../../src/domain/clients/metadataRules.js';
import { ClientCommandError } from '../../src/domain/clients/decide.js';
import { EventCatalogue } from '../../src/eventsourcing/validation.js';
import { allEvents } from '../../src/domain/events/all.js';
import { deciderSpec } from '../helpers/deciderSpec.js';

const strict = { allowLoopbackHttp: false };
const dev = { allowLoopbackHttp: true };
const refusedWith = (fragment: string) => (err: unknown) =>
  err instanceof MetadataDocumentRefused && err.why.includes(fragment);

describe('client_id URL rules (draft §3)', () => {
  for (const ok of [
    'https://app.example/client.json',
    'https://app.example/',
    'https://app.example:8443/clients/1?v=2',
    'https://app.example/a%2Fb',
  ]) {
    it(`given ${ok}, when it is checked, then it is accepted`, () => {
      assert.equal(clientIdUrl(ok, strict).url.href, ok);
    });
  }
  const refusals: [string, string, string][] = [
    ['http://app.example/client.json', 'must use https', 'plain http'],
    ['https://app.example', 'has no path', 'no path'],
    ['https://app.example?x=1', 'has no path', 'a query but no path'],
    ['https://app.example/client.json#x', 'fragment', 'a fragment'],
    ['https://user:pw@app.example/c', 'user name or password', 'credentials'],
    ['https://user@app.example/c', 'user name or password', 'a user name'],
    ['https://app.example/a/../c', '".." path segment', 'a dot-dot segment'],
    ['https://app.example/a/./c', 'path segment', 'a dot segment'],
    ['https://app.example/a/%2E%2e/c', '".." path segment', 'an escaped dot-dot segment'],
    ['https://APP.example/c', 'must be written as https://app.example/c', 'an upper-case host'],
    ['https://app.example:443/c', 'must be written as https://app.example/c', 'the default port'],
    ['https://app.example/a b', 'space', 'a space'],
    ['https://app.example/a\\b', 'backslash', 'a backslash'],
    ['https://app.example/é', 'non-ASCII', 'a non-ASCII character'],
    [`https://app.example/${'a'.repeat(2000)}`, 'longer than 2000', 'a very long URL'],
    ['https://127.0.0.1/c', 'loopback address', 'a loopback IP'],
    ['https://10.1.2.3/c', 'private address', 'a private IP'],
    ['https://[::1]/c', 'loopback address', 'an IPv6 loopback'],
    ['https://[::ffff:c0a8:1]/c', 'private (IPv4 192.168.0.1 inside IPv6) address', 'an IPv4-mapped private address'],
    ['https://0x7f000001/c', 'must be written as https://127.0.0.1/c', 'a hex IPv4 loopback'],
    ['urn:example:client', 'must use https', 'a URN'],
    ['https://[::ffff:192.168.0.1]/c', 'must be written as https://[::ffff:c0a8:1]/c', 'a dotted IPv4-mapped address'],
  ];
  for (const [raw, fragment, what] of refusals) {
    it(`given ${what}, when it is checked, then it is refused (${fragment})`, () => {
      assert.throws(() => clientIdUrl(raw, strict), refusedWith(fragment));
    });
  }
  it('given the development setting, then http://127.0.0.1 is accepted and nothing else over http', () => {
    assert.equal(clientIdUrl('http://127.0.0.1:8080/c.json', dev).loopbackHttp, true);
    assert.throws(() => clientIdUrl('http://localhost:8080/c.json', dev), refusedWith('http only on 127.0.0.1'));
    assert.throws(() => clientIdUrl('http://[::1]:8080/c.json', dev), refusedWith('http only on 127.0.0.1'));
    assert.throws(() => clientIdUrl('http://10.0.0.1/c.json', dev), refusedWith('http only on 127.0.0.1'));
    assert.throws(() => clientIdUrl('https://127.0.0.1/c.json', dev), refusedWith('loopback'));
  });
});

describe('address classification', () => {
  const cases: [string, string | undefined][] = [
    ['8.8.8.8', undefined],
    ['93.184.216.34', undefined],
    ['2606:4700:4700::1111', undefined],
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['10.0.0.1', 'private'],
    ['172.16.5.4', 'private'],
    ['172.32.0.1', undefined],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['0.0.0.0', 'unspecified'],
    ['100.64.0.1', 'shared (carrier-grade NAT)'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['fd12:3456::1', 'unique-local'],
    ['fc00::1', 'unique-local'],
    ['ff02::1', 'multicast'],
    ['::ffff:127.0.0.1', 'loopback (IPv4 127.0.0.1 inside IPv6)'],
    ['::ffff:7f00:1', 'loopback (IPv4 127.0.0.1 inside IPv6)'],
    ['::ffff:169.254.169.254', 'link-local (IPv4 169.254.169.254 inside IPv6)'],
    ['::ffff:8.8.8.8', undefined],
    ['64:ff9b::10.0.0.1', 'private (IPv4 10.0.0.1 inside IPv6)'],
    ['2002:c0a8:101::1', 'private (IPv4 192.168.1.1 inside IPv6)'],
    ['not-an-ip', 'not an IP address'],
  ];
  for (const [address, expected] of cases) {
    it(`given ${address}, then it is ${expected ?? 'public'}`, () => assert.equal(forbiddenAddress(address), expected));
  }
});

describe('fetching refuses what resolves to a forbidden address (DNS rebinding included)', () => {
  it('given a name that resolves to a private address, when fetched, then it is refused before any connection', async () => {
    let asked = 0;
    const resolve = async () => {
      asked++;
      return [{ address: '10.0.0.7', family: 4 }];
    };
    await assert.rejects(
      fetchMetadataDocument('https://rebind.example/c.json', { allowLoopbackHttp: false, resolve }),
      refusedWith('rebind.example resolves to a private address (10.0.0.7)'),
    );
    assert.equal(asked, 1);
  });
  it('given a name with one public and one loopback address, then it is refused', async () => {
    const resolve = async () => [
      { address: '93.184.216.34', family: 4 },
      { address: '::1', family: 6 },
    ];
    await assert.rejects(
      fetchMetadataDocument('https://mixed.example/c.json', { allowLoopbackHttp: true, resolve }),
      refusedWith('resolves to a loopback address (::1)'),
    );
  });
});

describe('cache lifetime from Cache-Control', () => {
  const limits = { minSeconds: 30, maxSeconds: 3600, maxEntries: 2 };
  for (const [header, expected] of [
    [undefined, 30],
    ['max-age=600', 600],
    ['public, max-age=600', 600],
    ['max-age=5', 30],
    ['max-age=999999', 3600],
    ['no-cache', 30],
    ['no-store', 30],
    ['max-age=600, no-store', 30],
  ] as const) {
    it(`given ${header ?? 'no header'}, then ${expected} s`, () =>
      assert.equal(cacheSeconds(header, limits), expected));
  }
  it('given more URLs than the limit, then the oldest is forgotten; an entry expires with the clock', () => {
    let now = 0;
    const fresh = new FreshDocuments(() => now, limits);
    fresh.remember('a', 'max-age=100');
    fresh.remember('b', 'max-age=100');
    fresh.remember('c', 'max-age=100');
    assert.deepEqual([fresh.isFresh('a'), fresh.isFresh('b'), fresh.isFresh('c')], [false, true, true]);
    now = 100_000;
    assert.equal(fresh.isFresh('b'), false);
    assert.equal(DEFAULT_CACHE_LIMITS.maxEntries > 0, true);
  });
});

const URL_ID = 'https://app.example/client.json';
const document = (extra: Record<string, unknown> = {}) => ({
  client_id: URL_ID,
  client_name: 'App',
  redirect_uris: ['https://app.example/cb'],
  ...extra,
});

describe('the document rules (draft §4)', () => {
  it('given a minimal document, then it is a public authorization-code client with the server defaults', () => {
    const m = metadataFromDocument(URL_ID, document());
    assert.deepEqual(m.grant_types, ['authorization_code']);
    assert.equal(m.token_endpoint_auth_method, 'none');
    assert.equal(m.access_token_ttl, 3600);
    assert.equal(m.client_name, 'App');
  });
  it('given unknown fields and server settings, then they are ignored', () => {
    const m = metadataFromDocument(URL_ID, document({ software_id: 'x', access_token_ttl: 999999, foo: { a: 1 } }));
    assert.equal(m.access_token_ttl, 3600);
    assert.equal('software_id' in m || 'foo' in m, false);
  });
  const refusals: [string, Record<string, unknown>, RegExp][] = [
    ['another client_id', { client_id: 'https://evil.example/c.json' }, /is not the URL it was fetched from/],
    ['a client_secret', { client_secret: 's' }, /client_secret/],
    ['a client_secret_expires_at', { client_secret_expires_at: 0 }, /client_secret/],
    ['client_secret_basic', { token_endpoint_auth_method: 'client_secret_basic' }, /none or private_key_jwt/],
    ['client_secret_jwt', { token_endpoint_auth_method: 'client_secret_jwt' }, /none or private_key_jwt/],
    ['a jwks_uri', { jwks_uri: 'https://app.example/jwks' }, /jwks_uri is not supported/],
    ['a scope that is not a string', { scope: ['a'] }, /scope/],
    ['an unknown grant type', { grant_types: ['password'] }, /grant_types/],
  ];
  for (const [what, extra, message] of refusals) {
    it(`given ${what}, then it is refused as invalid_client_metadata`, () => {
      assert.throws(
        () => metadataFromDocument(URL_ID, document(extra)),
        (err: unknown) => err instanceof ClientMetadataError && message.test(err.description),
      );
    });
  }
  it('given a null or empty jwks_uri, then it is ignored', () => {
    assert.doesNotThrow(() => metadataFromDocument(URL_ID, document({ jwks_uri: null })));
    assert.doesNotThrow(() => metadataFromDocument(URL_ID, document({ jwks_uri: '' })));
  });
});

describe('the client decider records documents', () => {
  const { given } = deciderSpec(clientDecider({}));
  const metadata = metadataFromDocument(URL_ID, document());
  const changed = metadataFromDocument(URL_ID, document({ client_name: 'App 2' }));
  const A = 'A'.repeat(43);
  const B = 'B'.repeat(43);
  const record = (sha256: string, m = metadata) => ({
    type: 'RecordMetadataDocument' as const,
    clientId: URL_ID,
    metadata: m,
    document: { url: URL_ID, sha256 },
  });
  const registered: ClientEvent = {
    type: 'ClientRegistered',
    data: {
      clientId: URL_ID,
      metadata,
      secret: null,
      registration: { via: 'metadata_document', url: URL_ID, sha256: A },
    },
  };

  it('given no client, when a document is recorded, then the client is registered with its URL and hash', () =>
    given([]).when(record(A)).then([registered]));
  it('given the same document, then nothing is written', () => given([registered]).when(record(A)).then([]));
  it('given a changed document, then the change is recorded with the new hash', () =>
    given([registered])
      .when(record(B, changed))
      .then([
        {
          type: 'ClientUpdated',
          data: {
            clientId: URL_ID,
            metadata: changed,
            document: { url: URL_ID, sha256: B },
            changes: { client_name: { before: 'App', after: 'App 2' } },
          },
        },
      ]));
  it('given a change already recorded, then recording it again writes nothing', () =>
    given([
      registered,
      { type: 'ClientUpdated', data: { clientId: URL_ID, metadata: changed, document: { url: URL_ID, sha256: B } } },
    ])
      .when(record(B, changed))
      .then([]));
  it('given a disabled client, when its document changed, then nothing is written: it stays disabled', () =>
    given([registered, { type: 'ClientDisabled', data: { clientId: URL_ID } }])
      .when(record(B, changed))
      .then([]));
  it('given a client an operator registered under that id, then the document does not take it over', () =>
    given([{ type: 'ClientRegistered', data: { clientId: URL_ID, metadata, secret: null } }])
      .when(record(A))
      .thenThrows((err: unknown) => err instanceof ClientCommandError && err.code === 'client_exists'));
  it('given a document whose metadata breaks a registration rule, then it is refused by the same rules', () =>
    given([])
      .when(record(A, { ...metadata, redirect_uris: [] }))
      .thenThrows((err: unknown) => err instanceof ClientMetadataError && /redirect URI/.test(err.description)));
});

describe('URL client ids in the ledger', () => {
  const catalogue = new EventCatalogue(allEvents);
  const metadata = metadataFromDocument(URL_ID, document());
  it('given a URL id, then ClientRegistered and ClientUpdated with a document are valid events', () => {
    catalogue.validate('ClientRegistered', 1, {
      clientId: URL_ID,
      metadata,
      secret: null,
      registration: { via: 'metadata_document', url: URL_ID, sha256: 'A'.repeat(43) },
    });
    catalogue.validate('ClientUpdated', 1, {
      clientId: URL_ID,
      metadata,
      document: { url: URL_ID, sha256: 'B'.repeat(43) },
    });
    assert.equal(ClientRegistered.type, 'ClientRegistered');
    assert.equal(ClientUpdated.type, 'ClientUpdated');
  });
  for (const bad of [
    'https://app.example/a b',
    'https://app.example/a#b',
    'ftp://app.example/c',
    `https://a.example/${'a'.repeat(2000)}`,
    'has space',
    'a'.repeat(129),
  ]) {
    it(`given the id ${bad.slice(0, 40)}, then it is not a valid client id`, () => {
      assert.throws(() => catalogue.validate('ClientDisabled', 1, { clientId: bad }));
    });
  }
  it('given a URL id, then its stream is named by its hash, apart from every plain id', () => {
    assert.match(clientStream(URL_ID), /^client-url=[A-Za-z0-9_-]{43}$/);
    assert.equal(clientStream('svc-a'), 'client-svc-a');
  });
});
