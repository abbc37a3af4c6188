import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import { GraphQLError } from 'graphql';
import { Refusal } from '../../src/domain/refusal.js';
import { GrantError } from '../../src/domain/grants/decide.js';
import { UserCommandError } from '../../src/domain/users/decide.js';
import { EventValidationError } from '../../src/eventsourcing/validation.js';
import { StoreCorruptError, StoreUnavailableError } from '../../src/eventsourcing/eventStore.js';
import { WaitTimeoutError } from '../../src/eventsourcing/waitTimeout.js';
import { authorizationErrorParams, invalidClient } from '../../src/oauth/errors.js';
import { installErrorHandler } from '../../src/http/plugins/errors.js';
import { graphqlErrorOf } from '../../src/graphql/refusals.js';
import { cliFailure } from '../../src/cli/exitCode.js';
import { startupErrorLine } from '../../src/startupError.js';

/** A refusal no edge has heard of: each must render it from its fields alone. */
class SeatsTaken extends Refusal {
  override readonly name = 'SeatsTaken';
  constructor(message: string) {
    super('invalid_request', message, { status: 409, headers: { 'x-seats': '0' }, reason: 'seats_taken' });
  }
}

async function oauthAnswer(err: Error) {
  const app = Fastify({ logger: false });
  installErrorHandler(app);
  app.get('/t', () => {
    throw err;
  });
  try {
    const res = await app.inject({ method: 'GET', url: '/t' });
    return { status: res.statusCode, headers: res.headers, body: res.json<Record<string, unknown>>() };
  } finally {
    await app.close();
  }
}

describe('one error model: a refusal is rendered by each edge from its fields', () => {
  it('OAuth JSON: status, headers and { error, error_description } of any refusal', async () => {
    const seats = await oauthAnswer(new SeatsTaken('no seat "left"'));
    assert.equal(seats.status, 409);
    assert.equal(seats.headers['x-seats'], '0');
    assert.equal(seats.headers['cache-control'], 'no-store');
    // RFC 6749 §5.2 characters, as every description on the wire.
    assert.deepEqual(seats.body, { error: 'invalid_request', error_description: "no seat 'left'" });

    const grant = await oauthAnswer(new GrantError('invalid_scope', 'scope b was not granted'));
    assert.deepEqual(
      [grant.status, grant.body],
      [400, { error: 'invalid_scope', error_description: 'scope b was not granted' }],
    );

    const client = await oauthAnswer(invalidClient('client authentication failed', true));
    assert.equal(client.status, 401);
    assert.match(String(client.headers['www-authenticate']), /^Basic realm=/);
    assert.equal(client.body.error, 'invalid_client');
  });

  it('OAuth JSON: a store fault is 503 temporarily_unavailable with Retry-After, its cause kept for the log', async () => {
    for (const fault of [new StoreUnavailableError('database is locked'), new WaitTimeoutError('views behind')]) {
      const res = await oauthAnswer(fault);
      assert.equal(res.status, 503);
      assert.equal(res.headers['retry-after'], '1');
      assert.deepEqual(res.body, {
        error: 'temporarily_unavailable',
        error_description: 'the ledger cannot take this request now; retry shortly',
      });
    }
  });

  it('OAuth JSON: a server_error refusal or a fault of the code says nothing of the insides', async () => {
    for (const err of [new StoreCorruptError('ledger.sqlite page 7 is damaged'), new TypeError('x is undefined')]) {
      const res = await oauthAnswer(err);
      assert.equal(res.status, 500);
      assert.deepEqual(res.body, { error: 'server_error', error_description: 'an unexpected error occurred' });
    }
  });

  it('authorization redirect: the error response parameters', () => {
    assert.deepEqual(authorizationErrorParams(new SeatsTaken('no seat left')), {
      error: 'invalid_request',
      error_description: 'no seat left',
    });
    assert.deepEqual(authorizationErrorParams(new UserCommandError('user_disabled', 'user u is disabled')), {
      error: 'access_denied',
      error_description: 'user u is disabled',
    });
  });

  it('GraphQL: BAD_USER_INPUT with the description and the finer reason; faults left to formatError', () => {
    const seats = graphqlErrorOf(new SeatsTaken('no seat left'));
    assert.ok(seats instanceof GraphQLError);
    assert.equal(seats.message, 'no seat left');
    assert.deepEqual(seats.extensions, { code: 'BAD_USER_INPUT', reason: 'seats_taken' });

    const user = graphqlErrorOf(new UserCommandError('user_exists', 'user alice exists')) as GraphQLError;
    assert.deepEqual(
      [user.message, user.extensions],
      ['user alice exists', { code: 'BAD_USER_INPUT', reason: 'user_exists' }],
    );

    const invalid = graphqlErrorOf(new EventValidationError('/email must match format "email"')) as GraphQLError;
    assert.equal(invalid.message, 'invalid input: /email must match format "email"');
    assert.deepEqual(invalid.extensions, { code: 'BAD_USER_INPUT' });

    for (const err of [new StoreUnavailableError('locked'), new StoreCorruptError('damaged'), new TypeError('bug')]) {
      assert.equal(graphqlErrorOf(err), err);
    }
  });

  it('CLI: one line on stderr and exit status 1; "unexpected error" only for what is not a refusal', () => {
    assert.deepEqual(cliFailure(new SeatsTaken('no seat left')), { line: 'token-ledger: no seat left', exitCode: 1 });
    assert.deepEqual(cliFailure(new UserCommandError('user_exists', 'user alice exists')), {
      line: 'token-ledger: user alice exists',
      exitCode: 1,
    });
    assert.deepEqual(cliFailure(new TypeError('x is undefined')), {
      line: 'token-ledger: unexpected error: x is undefined',
      exitCode: 1,
    });
  });

  it('startup: the refusal message for the operator (the store fault says why), on one line', () => {
    assert.equal(startupErrorLine(new SeatsTaken('no seat\nleft')), 'token-ledger: no seat left');
    assert.equal(
      startupErrorLine(new StoreUnavailableError('cannot open /data/ledger.sqlite: locked')),
      'token-ledger: cannot open /data/ledger.sqlite: locked',
    );
    assert.equal(startupErrorLine(new StoreCorruptError('not a ledger')), 'token-ledger: not a ledger');
  });
});
