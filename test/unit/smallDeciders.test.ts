import { describe, it } from 'node:test';
import { assertionDecider, AssertionReplayedError } from '../../src/domain/assertions/decide.js';
import { throttleDecider } from '../../src/domain/throttle/decide.js';
import { deciderSpec } from '../helpers/deciderSpec.js';

describe('one-time jti decider', () => {
  const used = { type: 'ClientAssertionUsed' as const, data: { clientId: 'app', jtiHash: 'h'.repeat(43), exp: 99 } };
  const proof = { type: 'DPoPProofUsed' as const, data: { jkt: 'k'.repeat(43), jtiHash: 'h'.repeat(43), exp: 99 } };
  it('remembers a jti the first time and refuses it the second (RFC 7523 §3, RFC 9449 §11.1)', () => {
    for (const event of [used, proof]) {
      const record = { type: 'RecordOneTimeUse' as const, event };
      deciderSpec(assertionDecider).given([]).when(record).then([event]);
      deciderSpec(assertionDecider).given([event]).when(record).thenThrows(AssertionReplayedError);
    }
  });
});

describe('throttle decider', () => {
  it('records a block as the event of its scope, until as a date', () => {
    const block = { type: 'RecordBlock' as const, tier: 'ip', subject: '192.0.2.1', failures: 5, until: 60_000 };
    const data = { tier: 'ip', subject: '192.0.2.1', failures: 5, until: '1970-01-01T00:01:00.000Z' };
    const spec = deciderSpec(throttleDecider).given([]);
    spec.when({ ...block, scope: 'client' }).then([{ type: 'ClientAuthenticationThrottled', data }]);
    spec.when({ ...block, scope: 'login' }).then([{ type: 'LoginThrottled', data }]);
  });
});
