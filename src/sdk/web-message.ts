/**
 * token-ledger browser module: sign in through a popup, or renew silently in a hidden iframe, with
 * the OAuth 2.0 Web Message Response Mode, authorization code and PKCE. No dependencies.
 *
 *   import { loginWithPopup, authorizeSilently } from 'https://auth.example/sdk/web-message.js';
 *   button.onclick = async () => {
 *     const tokens = await loginWithPopup({ issuer, clientId, redirectUri, scope: 'openid profile' });
 *   };
 */

export interface WebMessageOptions {
  /** The authorization server's issuer URL, exactly as in its discovery document. */
  issuer: string;
  clientId: string;
  /** A registered redirect URI of the client; only its origin matters (the response is posted to it). */
  redirectUri: string;
  scope?: string;
  /** Give up after this long (default 60 s). */
  timeoutMs?: number;
  /** More authorization request parameters (login_hint, ui_locales, resource…). */
  extraParams?: Record<string, string>;
}

export interface TokenResponse {
  access_token: string;
  token_type: string;
  expires_in: number;
  scope?: string;
  refresh_token?: string;
  id_token?: string;
}

/**
 * `error` is an OAuth error code (`login_required`, `access_denied`…) or `popup_closed`, `popup_blocked`, `timeout`,
 * `invalid_response`.
 */
export class WebMessageError extends Error {
  constructor(
    readonly error: string,
    readonly errorDescription?: string,
  ) {
    super(errorDescription ? `${error}: ${errorDescription}` : error);
    this.name = 'WebMessageError';
  }
}

interface Metadata {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
}

const b64url = (bytes: Uint8Array) =>
  btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
const random = (n = 32) => b64url(crypto.getRandomValues(new Uint8Array(n)));
async function s256(verifier: string): Promise<string> {
  return b64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))));
}

async function discover(issuer: string): Promise<Metadata> {
  const res = await fetch(`${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`);
  if (!res.ok) throw new WebMessageError('invalid_response', `discovery answered ${res.status}`);
  const meta = (await res.json()) as Metadata;
  if (meta.issuer !== issuer) throw new WebMessageError('invalid_response', 'discovery names another issuer');
  return meta;
}

/** Payload of a JWT, without verifying it: the token came straight from the token endpoint over TLS. */
function jwtPayload(jwt: string): Record<string, unknown> {
  const part = jwt.split('.')[1] ?? '';
  return JSON.parse(decodeURIComponent(escape(atob(part.replace(/-/g, '+').replace(/_/g, '/'))))) as Record<
    string,
    unknown
  >;
}

interface Pending {
  meta: Metadata;
  url: string;
  state: string;
  nonce: string;
  verifier: string;
}

async function prepare(opts: WebMessageOptions, prompt?: string): Promise<Pending> {
  const meta = await discover(opts.issuer);
  const state = random();
  const nonce = random();
  const verifier = random(48);
  const params = new URLSearchParams({
    client_id: opts.clientId,
    redirect_uri: opts.redirectUri,
    response_type: 'code',
    response_mode: 'web_message',
    scope: opts.scope ?? 'openid',
    state,
    nonce,
    code_challenge: await s256(verifier),
    code_challenge_method: 'S256',
    ...(prompt ? { prompt } : {}),
    ...opts.extraParams,
  });
  return { meta, url: `${meta.authorization_endpoint}?${params}`, state, nonce, verifier };
}

const CLOSED_GRACE_MS = 1000;

/**
 * Waits for the one message that counts: from the issuer's origin AND from our own popup or iframe.
 * Every other message — another window, another origin, a forgery — is ignored.
 */
function awaitResponse(
  opts: WebMessageOptions,
  pending: Pending,
  source: () => Window | null,
  closed: () => boolean,
): Promise<Record<string, string>> {
  const issuerOrigin = new URL(opts.issuer).origin;
  return new Promise((resolve, reject) => {
    const finish = (fn: () => void) => {
      window.removeEventListener('message', onMessage);
      clearInterval(poll);
      clearTimeout(timer);
      fn();
    };
    const onMessage = (event: MessageEvent) => {
      if (event.origin !== issuerOrigin || event.source === null || event.source !== source()) return;
      const data = event.data as { type?: string; response?: Record<string, string> };
      if (data?.type !== 'authorization_response' || typeof data.response !== 'object') return;
      const r = data.response;
      if (r.state !== pending.state) return;
      if (r.iss !== pending.meta.issuer)
        return finish(() => reject(new WebMessageError('invalid_response', 'iss does not match the issuer')));
      if (r.error) return finish(() => reject(new WebMessageError(r.error, r.error_description)));
      finish(() => resolve(r));
    };
    // A popup that posts and closes itself can be seen closed before its message is delivered (it
    // runs in another process), so a closed window is only final once a grace period has passed.
    let closedSince: number | null = null;
    const poll = setInterval(() => {
      if (!closed()) return;
      closedSince ??= Date.now();
      if (Date.now() - closedSince >= CLOSED_GRACE_MS)
        finish(() => reject(new WebMessageError('popup_closed', 'the sign-in window was closed')));
    }, 300);
    const timer = setTimeout(
      () => finish(() => reject(new WebMessageError('timeout', 'no answer in time'))),
      opts.timeoutMs ?? 60_000,
    );
    window.addEventListener('message', onMessage);
  });
}

async function exchange(
  opts: WebMessageOptions,
  pending: Pending,
  response: Record<string, string>,
): Promise<TokenResponse> {
  const res = await fetch(pending.meta.token_endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code: response.code ?? '',
      redirect_uri: opts.redirectUri,
      code_verifier: pending.verifier,
      client_id: opts.clientId,
    }),
  });
  const body = (await res.json()) as TokenResponse & { error?: string; error_description?: string };
  if (!res.ok) throw new WebMessageError(body.error ?? 'invalid_response', body.error_description);
  if (body.id_token && jwtPayload(body.id_token).nonce !== pending.nonce)
    throw new WebMessageError('invalid_response', 'nonce mismatch');
  return body;
}

/** Opens the sign-in popup; call it from a click handler (the popup is opened before anything is awaited). */
export async function loginWithPopup(opts: WebMessageOptions): Promise<TokenResponse> {
  const popup = window.open('about:blank', 'token-ledger-login', 'popup,width=480,height=640');
  if (!popup) throw new WebMessageError('popup_blocked', 'the browser blocked the sign-in window');
  try {
    const pending = await prepare(opts);
    popup.location.href = pending.url;
    const response = await awaitResponse(
      opts,
      pending,
      () => popup,
      () => popup.closed,
    );
    return await exchange(opts, pending, response);
  } finally {
    if (!popup.closed) popup.close();
  }
}

/** Renews tokens in a hidden iframe with prompt=none; rejects with `login_required` when there is no session. */
export async function authorizeSilently(opts: WebMessageOptions): Promise<TokenResponse> {
  const pending = await prepare(opts, 'none');
  const iframe = document.createElement('iframe');
  iframe.style.display = 'none';
  iframe.setAttribute('aria-hidden', 'true');
  try {
    const answered = awaitResponse(
      { ...opts, timeoutMs: opts.timeoutMs ?? 10_000 },
      pending,
      () => iframe.contentWindow,
      () => false,
    );
    iframe.src = pending.url;
    document.body.appendChild(iframe);
    return await exchange(opts, pending, await answered);
  } finally {
    iframe.remove();
  }
}
