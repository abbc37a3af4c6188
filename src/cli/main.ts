import { Command } from 'commander';
import { keysCommand } from './keysCommands.js';
import { clientsCommand } from './clientsCommands.js';
import { initialAccessTokensCommand } from './initialAccessTokensCommands.js';
import { usersCommand } from './usersCommands.js';
import { auditCommands } from './auditCommands.js';
import { sealsCommands } from './sealsCommands.js';
import { stopWithLauncher } from './stopWithLauncher.js';
import { tailCommand } from './tailCommands.js';

const program = new Command('token-ledger')
  .description(
    'OAuth 2.0 / OpenID Connect authorization server built as an event-sourced ledger.\nConfiguration comes ' +
      'from the environment (PORT, HOST, ISSUER, DATA_DIR, EVENTSTORE_CONNECTION_STRING, KEY_ENCRYPTION_SECRET, ' +
      'LOG_LEVEL, TRUST_PROXY, MAX_TOKEN_LIFETIME, REFRESH_TOKEN_IDLE_TTL, REFRESH_TOKEN_ABSOLUTE_TTL, ' +
      'SESSION_TTL, INTROSPECTION_CONSISTENCY, THROTTLE_CLIENT_FAILURES, THROTTLE_IP_FAILURES, ' +
      'THROTTLE_LOGIN_FAILURES, THROTTLE_ACCOUNT_FAILURES, THROTTLE_BASE_DELAY_SECONDS, ' +
      'THROTTLE_MAX_DELAY_SECONDS, THROTTLE_WINDOW_SECONDS, THROTTLE_TRUSTED_SECONDS); docs/configuration.md ' +
      'documents each.',
  )
  .showHelpAfterError();

program
  .command('serve')
  .description('run the server (the same as npm start)')
  .action(async () => {
    stopWithLauncher();
    const { main } = await import('../server.js');
    await main();
  });
program.addCommand(keysCommand());
program.addCommand(clientsCommand());
program.addCommand(initialAccessTokensCommand());
program.addCommand(usersCommand());
for (const c of auditCommands()) program.addCommand(c);
for (const c of sealsCommands()) program.addCommand(c);
program.addCommand(tailCommand());

await program.parseAsync(process.argv);
