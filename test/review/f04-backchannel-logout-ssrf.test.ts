/**
 * Review finding 4: a client that registered itself (open mode, no credentials) names any backchannel_logout_uri,
 * http and internal addresses included; the dispatcher then POSTs to it with a plain fetch, without the address
 * guard the metadata-document fetcher has (blind SSRF from the server's network position, e.g. the cloud metadata
 * service or a loopback admin port). Expected: the registration refused (https only, no private/loopback/link-local
 * host, same origin as a redirect URI per OIDC Back-Channel Logout §2.2) and the dispatcher guarded as the fetcher is.
 */
import { afterEach, beforeEach, it } from 'node:test';
import assert from 'node:assert/strict';
import { BackchannelLogoutDispatcher } from '../../src/application/backchannelLogout.js';
import { endSession } from '../../src/application/endSession.js';
import { registerDynamicClient } from '../../src/application/registerDynamicClient.js';
import { clientById } from '../../src/application/queries/clients.js';
import { startSession } from '../../src/application/startSession.js';
import { sha256 } from '../../src/crypto/hash.js';
import { SoftwareStatements } from '../../src/oauth/softwareStatement.js';
import { memoryPorts, T0, type MemoryPorts } from '../helpers/memoryPorts.js';
import { ctx, givenCode, givenUser } from '../unit/useCases/fixtures.js';

let ports: MemoryPorts;
const realFetch = globalThis.fetch;
const posted: string[] = [];
beforeEach(async () => {
  ports = await memoryPorts();
  globalThis.fetch = (url) => {
    posted.push(url as string); // the dispatcher posts a string URL
    return Promise.resolve(new Response(null, { status: 200 }));
  };
});
afterEach(() => {
  globalThis.fetch = realFetch;
  return ports.close();
});

it('finding 4: a self-registered backchannel_logout_uri reaches the link-local metadata address', async () => {
  const target = 'http://169.254.169.254/latest/meta-data/iam/security-credentials/';
  const access = { mode: 'open' as const, statements: new SoftwareStatements([], 'http://localhost') };
  const body = {
    grant_types: ['authorization_code'],
    redirect_uris: ['https://app.example/cb'],
    scope: 'openid',
    backchannel_logout_uri: target,
  };
  let info;
  try {
    info = await registerDynamicClient(ports, access, { body }, ctx);
  } catch {
    return; // fixed: the registration is refused
  }
  await ports.runner.waitFor(await ports.head());
  const client = clientById(ports.views, info.client_id)!;
  const sub = await givenUser(ports);
  const { sid } = await startSession(ports, sub, ['pwd'], ctx);
  await givenCode(ports, client, { sub, authTime: T0 / 1000, sid: sha256(sid) }, { scope: 'openid' });
  await endSession(ports, sid, 'logout', ctx);
  await new BackchannelLogoutDispatcher(ports).tick();
  assert.deepEqual(posted, [], `the server POSTed to ${posted.join(', ')}`);
});
