/**
 * An example MCP server protected by token-ledger: see README.md beside this file.
 *   node dist/examples/mcp-resource-server/main.js --port 3001 --issuer http://localhost:3000
 */
import { loadConfig, UsageError } from './config.js';
import { buildServer } from './server.js';
import { accessTokenVerifier } from './tokens.js';

let config;
try {
  config = loadConfig(process.argv.slice(2), process.env);
} catch (err) {
  if (!(err instanceof UsageError)) throw err;
  console.error(err.message);
  process.exit(2);
}

const app = buildServer(config, accessTokenVerifier(config));
await app.listen({ host: config.host, port: config.port });
const mode = config.introspection ? `, introspecting each token as ${config.introspection.clientId}` : '';
console.log(`MCP server ${config.resource.href} on ${config.host}:${config.port}, tokens from ${config.issuer}${mode}`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void app.close().then(() => process.exit(0)));
}
