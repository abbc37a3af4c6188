import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { resourceLabel } from '../../src/http/pages/resourceLabel.js';

describe('resource label on the consent page', () => {
  it('shows host and path of an https resource', () => {
    assert.equal(resourceLabel('https://a.example/mcp'), 'a.example/mcp');
    assert.equal(resourceLabel('https://a.example/'), 'a.example');
    assert.equal(resourceLabel('https://a.example:8443/mcp?tenant=1'), 'a.example:8443/mcp?tenant=1');
  });

  it('shows an internationalised host in its xn-- form, so look-alike letters show as what they are', () => {
    assert.equal(resourceLabel('https://аpple.example/mcp'), 'xn--pple-43d.example/mcp');
  });

  it('shows any other URI whole, so it does not pass for an https server', () => {
    for (const uri of ['http://127.0.0.1:3001/mcp', 'urn:example:api', 'https://user@a.example/mcp'])
      assert.equal(resourceLabel(uri), uri);
  });
});
