/**
 * The connection string schemes @kurrent/kurrentdb-client parses (Client/parseConnectionString.js),
 * so configuration refuses at load what the client would refuse at start.
 */
const SCHEME = /^(kurrentdb|kurrent|kdb|esdb)(\+discover)?:\/\//;

export function hasKurrentScheme(connectionString: string): boolean {
  return SCHEME.test(connectionString);
}

/**
 * `esdb://` and `esdb+discover://` under their current names: the client still parses the old ones but
 * writes a deprecation warning to stderr on each connect, outside the server's log.
 */
export function withCurrentScheme(connectionString: string): string {
  return connectionString.trim().replace(/^esdb(\+discover)?:\/\//, 'kurrentdb$1://');
}
