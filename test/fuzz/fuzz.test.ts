import { after, before, describe } from 'node:test';
import { startFuzzServer } from '../helpers/fuzz.js';
import type { FuzzEnv } from '../helpers/fuzzDriver.js';
import { FuzzFixtures } from '../helpers/fuzzFixtures.js';
import { removeDir } from '../helpers/server.js';
import { browserEndpointsSuite } from './suites/browserEndpoints.js';
import { graphqlSuite } from './suites/graphql.js';
import { resourceEndpointsSuite } from './suites/resourceEndpoints.js';
import { tokenEndpointSuite } from './suites/token.js';
import { tokenLifecycleModelSuite } from './suites/tokenLifecycleModel.js';

/**
 * Every endpoint fuzzed, and the token lifecycle checked against a model, on one server with one set
 * of fixtures (a server start costs seconds on a loaded machine). Runs per property:
 * TOKEN_LEDGER_FUZZ_RUNS; replay a failure with the seed and path it prints, as
 * TOKEN_LEDGER_FUZZ_SEED and TOKEN_LEDGER_FUZZ_PATH.
 */
describe('fuzz', () => {
  const env = {} as FuzzEnv;
  before(async () => {
    env.server = await startFuzzServer();
    env.fx = await FuzzFixtures.create(env.server);
  });
  after(async () => {
    await env.server.close();
    removeDir(env.server.dataDir);
  });

  tokenLifecycleModelSuite(env);
  tokenEndpointSuite(env);
  resourceEndpointsSuite(env);
  browserEndpointsSuite(env);
  // Last: its mutations may disable the fixtures' clients and user.
  graphqlSuite(env);
});
