import { parseArgs } from 'node:util';

/** What the resource server needs to know: where it listens, who it is, and whom it trusts. */
export interface Config {
  host: string;
  port: number;
  /** The authorization server's issuer identifier (RFC 8414): its metadata says where the keys are. */
  issuer: string;
  /**
   * This server's resource identifier (RFC 8707, RFC 9728): the URL clients call, and the `aud` a token
   * must carry here. Its path is where the MCP endpoint is served.
   */
  resource: URL;
  /** Set: every token is also introspected, so that a revoked token is refused at once. */
  introspection?: { clientId: string; clientSecret: string };
}

const USAGE = `usage: node dist/examples/mcp-resource-server/main.js [options]
  --port N              MCP_PORT        listen port (default 3001)
  --host H              MCP_HOST        listen address (default 127.0.0.1)
  --issuer URL          MCP_ISSUER      the authorization server (default http://localhost:3000)
  --resource URL        MCP_RESOURCE    this server's resource URL (default http://localhost:<port>/mcp)
  --introspect          MCP_INTROSPECT=on  also ask the authorization server about each token
  --client-id ID        MCP_INTROSPECTION_CLIENT_ID      the confidential client that introspects
                        MCP_INTROSPECTION_CLIENT_SECRET  its secret (an environment variable only)`;

export class UsageError extends Error {
  constructor(message: string) {
    super(`${message}\n${USAGE}`);
  }
}

/** Command-line flags first, then the environment, then the defaults. */
export function loadConfig(argv: string[], env: NodeJS.ProcessEnv): Config {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        issuer: { type: 'string' },
        resource: { type: 'string' },
        introspect: { type: 'boolean' },
        'client-id': { type: 'string' },
      },
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const port = Number(values.port ?? env.MCP_PORT ?? 3001);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new UsageError(`bad port ${values.port ?? env.MCP_PORT}`);
  // Compared as a string with what the authorization server's metadata says (RFC 8414 §3.3): taken as written.
  const issuer = values.issuer ?? env.MCP_ISSUER ?? 'http://localhost:3000';
  url('issuer', issuer);
  const resource = url('resource', values.resource ?? env.MCP_RESOURCE ?? `http://localhost:${port}/mcp`);
  if (resource.search || resource.hash) throw new UsageError('the resource URL takes no query and no fragment');

  const config: Config = { host: values.host ?? env.MCP_HOST ?? '127.0.0.1', port, issuer, resource };
  if (values.introspect || env.MCP_INTROSPECT === 'on') {
    const clientId = values['client-id'] ?? env.MCP_INTROSPECTION_CLIENT_ID;
    const clientSecret = env.MCP_INTROSPECTION_CLIENT_SECRET;
    if (!clientId || !clientSecret)
      throw new UsageError('introspection needs MCP_INTROSPECTION_CLIENT_ID and MCP_INTROSPECTION_CLIENT_SECRET');
    config.introspection = { clientId, clientSecret };
  }
  return config;
}

function url(name: string, value: string): URL {
  try {
    const parsed = new URL(value);
    if (parsed.protocol === 'http:' || parsed.protocol === 'https:') return parsed;
  } catch {
    // reported below
  }
  throw new UsageError(`--${name} must be an http(s) URL, not ${JSON.stringify(value)}`);
}
