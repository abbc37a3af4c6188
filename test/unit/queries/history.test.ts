import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { v7 as uuidv7 } from 'uuid';
import { statusAt, tokenHistory } from '../../../src/application/queries/history.js';
import type { RecordedEvent } from '../../../src/eventsourcing/eventStore.js';
import { recorded } from '../../helpers/views.js';

const grantId = uuidv7();
const jti = uuidv7();
const other = uuidv7();
const token = { jti, grantId, stream: `grant-${grantId}`, exp: 3000 };
const at = (s: number) => new Date(s * 1000);
const grantStream = [
  recorded('AuthorizationGranted', { grantId }, 500_000),
  recorded('AccessTokenIssued', { jti, grantId }, 1_000_000),
  recorded('AccessTokenIssued', { jti: other, grantId }, 1_100_000),
  recorded('TokenRevoked', { jti: other }, 1_200_000),
  recorded('RefreshTokenRotated', { grantId, jti: uuidv7(), successorJti: jti }, 1_300_000),
  recorded('GrantRevoked', { grantId }, 2_000_000),
];

describe('token history', () => {
  it("reads the token's grant stream once and keeps the token's own events and the grant-wide ones", async () => {
    const read: string[] = [];
    const store = {
      readStream: (stream: string): Promise<RecordedEvent[]> => {
        read.push(stream);
        return Promise.resolve(grantStream);
      },
    };
    const events = await tokenHistory(store, token);
    assert.deepEqual(read, [`grant-${grantId}`]);
    assert.deepEqual(
      events.map((e) => e.type),
      ['AccessTokenIssued', 'RefreshTokenRotated', 'GrantRevoked'],
    );
  });

  it('status at a moment: not yet issued, active, revoked by its grant; expired past exp', () => {
    assert.equal(statusAt(grantStream, token, at(900)), null);
    assert.equal(statusAt(grantStream, token, at(1000)), 'ACTIVE');
    assert.equal(statusAt(grantStream, token, at(2000)), 'REVOKED');
    assert.equal(statusAt(grantStream.slice(0, 3), token, at(3000)), 'EXPIRED');
  });
});
