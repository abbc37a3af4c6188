/** Given-state for the use-case tests: clients and users as events already in the ledger, and the refusal check. */
import assert from 'node:assert/strict';
import { sealPersonalData } from '../../../src/crypto/personalData.js';
import { usernameKeyOf } from '../../../src/application/users.js';
import { v7 as uuidv7 } from 'uuid';
import { codeByHash } from '../../../src/application/queries/authorization.js';
import { clientById } from '../../../src/application/queries/clients.js';
import { issueAuthorizationCode } from '../../../src/application/issueAuthorizationCode.js';
import { sha256 } from '../../../src/crypto/hash.js';
import type { ClientMetadata } from '../../../src/domain/clients/events.js';
import { clientMetadata } from '../../../src/domain/clients/metadataDefaults.js';
import type { ClientState } from '../../../src/domain/clients/state.js';
import { clientStream } from '../../../src/domain/clients/streams.js';
import type { PasswordHash } from '../../../src/domain/users/events.js';
import { userStream } from '../../../src/domain/users/streams.js';
import type { RecordedEvent } from '../../../src/eventsourcing/eventStore.js';
import type { MemoryPorts } from '../../helpers/memoryPorts.js';

export const ctx = { actor: 'operator:test', correlationId: 'corr-1' };

/** A well-formed hash no password matches: users given by event never log in. */
const fakeHash: PasswordHash = { alg: 'scrypt', salt: 's'.repeat(22), hash: 'h'.repeat(43), N: 1024, r: 8, p: 1 };

/** A client registered before the test: confidential, code + refresh, JWT access tokens (ES256). */
export async function givenClient(
  ports: MemoryPorts,
  clientId = 'app',
  changes: Partial<ClientMetadata> = {},
): Promise<ClientState> {
  const metadata = clientMetadata({
    grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
    redirect_uris: ['https://app.example/cb'],
    scope: 'openid read write',
    ...changes,
  });
  await ports.given(clientStream(clientId), [
    { type: 'ClientRegistered', data: { clientId, metadata, secret: { alg: 'sha256', hash: 'x'.repeat(43) } } },
  ]);
  return clientById(ports.views, clientId)!;
}

/** A user registered before the test (sub returned). */
export async function givenUser(ports: MemoryPorts, username = 'alice'): Promise<string> {
  const sub = uuidv7();
  const pii = sealPersonalData(await ports.subjectKeys.obtain(sub), sub, { username });
  const usernameKey = usernameKeyOf(ports.keyEncryptionSecret, username);
  await ports.given(userStream(sub), [
    { type: 'UserRegistered', data: { sub, usernameKey, pii, emailVerified: false, passwordHash: fakeHash } },
  ]);
  return sub;
}

/** The types of the events, in order. */
export const typed = (events: RecordedEvent[]) => events.map((e) => e.type);

/**
 * The use case is refused with this error (class, and the RFC `error` or finer `code` it carries) and the ledger
 * did not move.
 */
export async function refusedWithoutWrite(
  ports: MemoryPorts,
  run: () => Promise<unknown>,
  expected: { class: abstract new (...args: never[]) => Error; error?: string; code?: string; message?: RegExp },
): Promise<void> {
  const head = await ports.head();
  await assert.rejects(run, (e: unknown) => {
    assert.ok(e instanceof expected.class, `a ${expected.class.name}, got ${String(e)}`);
    const fields = e as unknown as { error?: string; code?: string };
    if (expected.error !== undefined) assert.equal(fields.error, expected.error);
    if (expected.code !== undefined) assert.equal(fields.code, expected.code);
    if (expected.message) assert.match(e.message, expected.message);
    return true;
  });
  assert.equal(await ports.head(), head, 'nothing was written');
}

type CodeRequest = Parameters<typeof issueAuthorizationCode>[1];

/**
 * A code issued as the authorization endpoint issues it: no PKCE, no nonce, the registered redirect URI (not sent),
 * for `login`; `request` overrides any of that. Answers the code and its grant.
 */
export async function givenCode(
  ports: MemoryPorts,
  client: ClientState,
  login: CodeRequest['login'],
  request: Partial<CodeRequest['request']> = {},
): Promise<{ code: string; grantId: string }> {
  const code = await issueAuthorizationCode(
    ports,
    {
      client,
      request: {
        redirectUri: 'https://app.example/cb',
        redirectUriSent: false,
        scope: 'read',
        resource: [],
        codeChallenge: null,
        nonce: null,
        ...request,
      },
      login,
    },
    ctx,
  );
  return { code, grantId: codeByHash(ports.views, sha256(code))!.grantId };
}
