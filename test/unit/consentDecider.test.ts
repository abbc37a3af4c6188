import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { consentCovers, NO_RESOURCE } from '../../src/domain/consent/consented.js';
import { consentDecider } from '../../src/domain/consent/decide.js';
import { deciderSpec } from '../helpers/deciderSpec.js';

const A = 'https://a.example/mcp';
const B = 'https://b.example/mcp';
const record = (scope: string, resources: string[] = []) =>
  ({ type: 'RecordConsent', sub: 'u', clientId: 'app', scope, resources }) as const;
const granted = (scope: string, resources?: string[]) =>
  ({
    type: 'AuthorizationGranted',
    data: { sub: 'u', clientId: 'app', scope, ...(resources ? { resources } : {}) },
  }) as const;

describe('consent decider', () => {
  it('records every answer, also one that repeats an earlier consent', () => {
    deciderSpec(consentDecider)
      .given([granted('openid')])
      .when(record('openid'))
      .then([granted('openid')]);
  });

  it('without resource indicators the event is as it always was: no resources field', () => {
    deciderSpec(consentDecider)
      .given([])
      .when(record('openid profile'))
      .then([granted('openid profile')]);
  });

  it('records the resources the answer was for (RFC 8707), also when another resource was consented before', () => {
    deciderSpec(consentDecider)
      .given([granted('mcp:read', [A])])
      .when(record('mcp:read', [B]))
      .then([granted('mcp:read', [B])]);
  });

  it('folds consent per resource: scopes allowed at A are not allowed at B, nor without a resource', () => {
    const state = deciderSpec(consentDecider)
      .given([granted('mcp:read', [A]), granted('openid')])
      .when(record('mcp:read', [B]))
      .state();
    assert.equal(consentCovers(state, ['mcp:read'], [A]), true);
    assert.equal(consentCovers(state, ['mcp:read'], [B]), false, 'another resource server, same scope name');
    assert.equal(consentCovers(state, ['mcp:read'], [A, B]), false, 'every resource named must be consented');
    assert.equal(consentCovers(state, ['mcp:read'], []), false, 'no specific resource is a target of its own');
    assert.equal(consentCovers(state, ['openid'], []), true);
    assert.equal(consentCovers(state, ['openid'], [A]), false, 'consent without a resource covers none');
  });

  it('an event from before resources were recorded is consent for no specific resource only', () => {
    const state = deciderSpec(consentDecider)
      .given([granted('mcp:read')])
      .when(record('x'))
      .state();
    assert.deepEqual([...state.keys()], [NO_RESOURCE]);
    assert.equal(consentCovers(state, ['mcp:read'], [A]), false, 'after the upgrade, a request with a resource asks');
  });

  it('adds answers up per resource, and an answer for two resources covers each', () => {
    const state = deciderSpec(consentDecider)
      .given([granted('mcp:read', [A, B]), granted('mcp:write', [A])])
      .when(record('x'))
      .state();
    assert.equal(consentCovers(state, ['mcp:read', 'mcp:write'], [A]), true);
    assert.equal(consentCovers(state, ['mcp:read'], [B]), true);
    assert.equal(consentCovers(state, ['mcp:write'], [B]), false);
    assert.equal(consentCovers(new Map(), [], []), false, 'nothing consented: even an empty request asks');
  });
});
