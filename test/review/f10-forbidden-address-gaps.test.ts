/**
 * Review finding 10: forbiddenAddress (src/registration/addressRanges.ts) lets through IPv6 ranges that are not public
 * unicast or that carry an IPv4 address: local-use NAT64 64:ff9b:1::/48 (RFC 8215, reaches internal IPv4 through
 * a site's own NAT64), IPv4-translated ::ffff:0:0:0/96 (RFC 7915 SIIT), Teredo 2001::/32, benchmarking 2001:2::/48,
 * ORCHIDv2 2001:20::/28, documentation 3fff::/20 (RFC 9637) and SRv6 SIDs 5f00::/16.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { forbiddenAddress } from '../../src/registration/addressRanges.js';

const NOT_PUBLIC = [
  '64:ff9b:1::a00:1',
  '::ffff:0:7f00:1',
  '2001:0:4136:e378:8000:63bf:3fff:fdd2',
  '2001:2::1',
  '2001:20::1',
  '3fff::1',
  '5f00::1',
];

it('finding 10: special-purpose IPv6 ranges are refused', () => {
  const allowed = NOT_PUBLIC.filter((a) => forbiddenAddress(a) === undefined);
  assert.deepEqual(allowed, [], `allowed: ${allowed.join(', ')}`);
});
