import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startupErrorLine } from '../../src/startupError.js';
import { ConfigError } from '../../src/config/config.js';
import { parseUntil } from '../../src/audit/replay.js';

const systemError = (code: string, message: string) => Object.assign(new Error(message), { code });

describe('the one line an operator gets when the server or a command cannot go on', () => {
  it('names the setting to look at for a failure of the machine, not "unexpected error"', () => {
    assert.equal(
      startupErrorLine(systemError('EADDRINUSE', 'listen EADDRINUSE: address already in use 127.0.0.1:3000')),
      'token-ledger: listen EADDRINUSE: address already in use 127.0.0.1:3000 (another process listens there: set PORT (or HOST))',
    );
    assert.match(
      startupErrorLine(systemError('ENOTFOUND', 'getaddrinfo ENOTFOUND nothost.invalid')),
      /ENOTFOUND nothost\.invalid \(the name does not resolve: set HOST\)$/,
    );
    assert.match(
      startupErrorLine(systemError('ENOENT', "ENOENT: no such file or directory, open '/nope'")),
      /^token-ledger: ENOENT: .*\(no such file\)$/,
    );
  });

  it('keeps "unexpected error" for what is a fault of the code, and no label for a user mistake', () => {
    assert.equal(startupErrorLine(new TypeError('x is undefined')), 'token-ledger: unexpected error: x is undefined');
    assert.equal(startupErrorLine(new ConfigError('PORT=x is invalid')), 'token-ledger: PORT=x is invalid');
    let thrown: unknown;
    try {
      parseUntil('yesterday');
    } catch (err) {
      thrown = err;
    }
    assert.match(startupErrorLine(thrown), /^token-ledger: --until "yesterday" is invalid/);
  });
});
