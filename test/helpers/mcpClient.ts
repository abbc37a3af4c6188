/**
 * The MCP client's side of the walk-through (test/e2e/mcpWalkthrough.test.ts), with oauth4webapi as an
 * MCP client would use it: the example resource server (examples/mcp-resource-server) as a process, the
 * discovery from its 401, an authorization code with PKCE for that resource, and JSON-RPC calls with the token.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import * as oauth from 'oauth4webapi';
import { Browser } from './browser.js';
import { insecure } from './oauth.js';
import { freePort } from './server.js';

const RESOURCE_SERVER = fileURLToPath(new URL('../../examples/mcp-resource-server/main.js', import.meta.url));

export interface ResourceServer {
  /** Its resource identifier, where the MCP endpoint is. */
  resource: string;
  child: ChildProcess;
  log: () => string;
  stop(): Promise<void>;
}

/** A resource URL on a loopback port that was free a moment ago. */
export const freeResource = async () => `http://127.0.0.1:${await freePort()}/mcp`;

/** Starts the example resource server for `resource` and waits for its metadata to answer. */
export async function startResourceServer(
  issuer: string,
  resource: string,
  env: Record<string, string> = {},
): Promise<ResourceServer> {
  const { port } = new URL(resource);
  const child = spawn(process.execPath, [RESOURCE_SERVER, '--port', port, '--issuer', issuer, '--resource', resource], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout.on('data', (d) => (log += d));
  child.stderr.on('data', (d) => (log += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/.well-known/oauth-protected-resource/mcp`)).ok) break;
    } catch {
      // not listening yet
    }
    if (child.exitCode !== null || i > 300) {
      await stop();
      throw new Error(`the example resource server did not start:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { resource, child, log: () => log, stop };
}

/** RFC 6750 challenge parameters (quoted ones: all the example server sends). */
export function challenge(res: Response): Record<string, string> {
  const header = res.headers.get('www-authenticate') ?? '';
  if (!/^Bearer /i.test(header)) return {};
  return Object.fromEntries([...header.matchAll(/(\w+)="([^"]*)"/g)].map(([, k, v]) => [k, v]));
}

let ids = 0;
const rpc = (method: string, params?: unknown) => ({
  jsonrpc: '2.0',
  id: ++ids,
  method,
  ...(params ? { params } : {}),
});
export const initialize = () =>
  rpc('initialize', {
    protocolVersion: '2025-11-25',
    capabilities: {},
    clientInfo: { name: 'walkthrough', version: '1.0.0' },
  });
export const toolsList = () => rpc('tools/list');
export const toolsCall = (name: string, args: Record<string, unknown> = {}) =>
  rpc('tools/call', { name, arguments: args });

export interface Called {
  status: number;
  challenge: Record<string, string>;
  body: any;
}

/** One JSON-RPC message to the MCP endpoint (Streamable HTTP), with or without a bearer token. */
export async function callMcp(resource: string, message: unknown, token?: string): Promise<Called> {
  const headers = new Headers({ 'content-type': 'application/json', accept: 'application/json, text/event-stream' });
  const body = JSON.stringify(message);
  let res: Response;
  try {
    res = token
      ? await oauth.protectedResourceRequest(token, 'POST', new URL(resource), headers, body, insecure)
      : await fetch(resource, { method: 'POST', headers, body });
  } catch (err) {
    // oauth4webapi hands a challenged answer back as an error carrying the response.
    if (!(err instanceof oauth.WWWAuthenticateChallengeError)) throw err;
    res = err.response;
  }
  const text = await res.text();
  return { status: res.status, challenge: challenge(res), body: text ? JSON.parse(text) : undefined };
}

/** What the 401 led to: the resource's metadata (RFC 9728) and its authorization server's (RFC 8414). */
export interface Discovered {
  resource: oauth.ResourceServer;
  as: oauth.AuthorizationServer;
}

/**
 * From a 401's `resource_metadata` to the authorization server: the MCP authorization spec's discovery.
 * oauth4webapi checks that each document names what it was fetched for (RFC 9728 §3.3, RFC 8414 §3.3).
 */
export async function discoverFrom(resource: string, metadataUrl: string): Promise<Discovered> {
  const expected = new URL(resource);
  const prm = await oauth.processResourceDiscoveryResponse(expected, await fetch(metadataUrl));
  const issuer = new URL(prm.authorization_servers![0]);
  const as = await oauth.processDiscoveryResponse(
    issuer,
    await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure }),
  );
  return { resource: prm, as };
}

/**
 * What a person does with an authorization URL: signs in as `user` and allows the client. Returns where the
 * authorization server sends the browser back to (the client's redirect URI, with the code).
 */
export async function signIn(
  browser: Browser,
  authorizationUrl: string,
  user: { username: string; password: string },
): Promise<string> {
  let page = await browser.get(authorizationUrl);
  for (let step = 0; step < 4 && page.status !== 303; step++) {
    if (page.html.includes('name="password"')) page = await browser.submit(authorizationUrl, page, user);
    else if (page.html.includes('name="decision"'))
      page = await browser.submit(authorizationUrl, page, { decision: 'approve' });
    else throw new Error(`unexpected page at /authorize (${page.status}): ${page.html.slice(0, 500)}`);
  }
  if (!page.location) throw new Error(`not sent back to the client (${page.status}): ${page.html.slice(0, 500)}`);
  return page.location;
}

interface AuthorizationRequest {
  redirectUri: string;
  scope: string;
  resource?: string;
}

/** A public client's side of an authorization code grant with PKCE for `resource` (RFC 8707, as MCP asks). */
export class CodeFlow {
  private readonly verifier = oauth.generateRandomCodeVerifier();
  private readonly state = randomUUID();

  constructor(
    private readonly as: oauth.AuthorizationServer,
    private readonly client: oauth.Client,
    private readonly request: AuthorizationRequest,
  ) {}

  private get resource(): Record<string, string> {
    return this.request.resource ? { resource: this.request.resource } : {};
  }

  /** Where the person's browser goes. */
  async url(): Promise<string> {
    const url = new URL(this.as.authorization_endpoint!);
    url.search = new URLSearchParams({
      response_type: 'code',
      client_id: this.client.client_id,
      redirect_uri: this.request.redirectUri,
      scope: this.request.scope,
      state: this.state,
      code_challenge: await oauth.calculatePKCECodeChallenge(this.verifier),
      code_challenge_method: 'S256',
      ...this.resource,
    }).toString();
    return url.href;
  }

  /** The browser came back to the redirect URI: check the answer, exchange the code (naming the resource again). */
  async redeem(back: URL): Promise<oauth.TokenEndpointResponse> {
    if (!back.href.startsWith(this.request.redirectUri)) throw new Error(`not sent back to the client: ${back.href}`);
    const params = oauth.validateAuthResponse(this.as, this.client, back, this.state);
    const res = await oauth.authorizationCodeGrantRequest(
      this.as,
      this.client,
      oauth.None(),
      params,
      this.request.redirectUri,
      this.verifier,
      { additionalParameters: this.resource, ...insecure },
    );
    return oauth.processAuthorizationCodeResponse(this.as, this.client, res);
  }
}

/** The whole grant, with `user` signing in and allowing the client in `browser` (test/helpers/browser.ts). */
export async function authorize(
  as: oauth.AuthorizationServer,
  client: oauth.Client,
  browser: Browser,
  user: { username: string; password: string },
  request: AuthorizationRequest,
): Promise<oauth.TokenEndpointResponse> {
  const flow = new CodeFlow(as, client, request);
  return flow.redeem(new URL(await signIn(browser, await flow.url(), user)));
}
