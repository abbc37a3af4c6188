import { epochSeconds } from './ports.js';
import { randomUUID } from 'node:crypto';
import type { Ports } from './ports.js';
import { sessionDecider, type SessionCommand } from '../domain/sessions/decide.js';
import { sessionStream } from '../domain/sessions/streams.js';
import { signJwt } from '../crypto/jwtStrategy.js';
import { execute } from './execute.js';
import { dueLogouts, type PendingLogout } from './queries/authorization.js';
import { clientById } from './queries/clients.js';
import { postFormToPublicAddress } from '../registration/publicFormPost.js';

const TIMEOUT_MS = 5000;
const BACKCHANNEL_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

/**
 * Delivers pending logout tokens (OIDC Back-Channel Logout 1.0 §2.5) to the clients' registered
 * backchannel_logout_uri. Each attempt's outcome is an event, so operators see failures and retries
 * and every instance knows what is still owed.
 */
export class BackchannelLogoutDispatcher {
  private readonly inFlight = new Set<string>();
  private timer?: NodeJS.Timeout;

  constructor(private readonly ports: Pick<Ports, 'clock' | 'config' | 'events' | 'keys' | 'views'>) {}

  start(everyMs = 500): void {
    this.timer = setInterval(() => void this.tick(), everyMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Attempts every delivery that is due now; resolves when those attempts are recorded. */
  async tick(now = this.ports.clock()): Promise<void> {
    const due = dueLogouts(this.ports.views, now);
    await Promise.all(due.map((p) => this.deliver(p)));
  }

  private async deliver(p: PendingLogout): Promise<void> {
    const key = `${p.sidHash}\0${p.clientId}`;
    if (this.inFlight.has(key)) return;
    this.inFlight.add(key);
    const attempt = p.attempts + 1;
    const ctx = { actor: 'system', correlationId: randomUUID() };
    try {
      const error = await this.post(p);
      const delivery = { sidHash: p.sidHash, clientId: p.clientId, jti: p.jti, attempt };
      const command: SessionCommand =
        error === null
          ? { type: 'RecordLogoutDelivered', ...delivery }
          : { type: 'RecordLogoutFailed', ...delivery, error, now: this.ports.clock() };
      await execute(this.ports.events, sessionStream(p.sidHash), sessionDecider, command, ctx);
    } catch {
      // The ledger refused the outcome: the delivery stays pending and is tried again on a later tick.
    } finally {
      this.inFlight.delete(key);
    }
  }

  /** null on success, else why it failed. */
  private async post(p: PendingLogout): Promise<string | null> {
    const client = clientById(this.ports.views, p.clientId);
    const uri = client?.metadata.backchannel_logout_uri;
    if (!client || !uri) return 'the client no longer has a backchannel_logout_uri';
    const alg = client.metadata.id_token_signed_response_alg ?? 'RS256';
    const key = await this.ports.keys.signingKey(alg);
    if (!key) return `no ${alg} signing key`;
    const now = epochSeconds(this.ports.clock);
    const logoutToken = signJwt(
      { typ: 'logout+jwt' },
      {
        iss: this.ports.config.issuer,
        aud: client.clientId,
        iat: now,
        exp: now + 120,
        jti: p.jti,
        sub: p.sub,
        sid: p.sidHash,
        events: { [BACKCHANNEL_EVENT]: {} },
      },
      key,
    );
    const form = new URLSearchParams({ logout_token: logoutToken }).toString();
    // A self-registered client's URI is anyone's choice: never let it reach this host or its private network (SSRF).
    // An operator's may name an internal service on purpose.
    if (client.registration) return postFormToPublicAddress(uri, form, { timeoutMs: TIMEOUT_MS });
    try {
      const res = await fetch(uri, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: form,
        redirect: 'error',
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
      await res.body?.cancel();
      return res.ok ? null : `HTTP ${res.status}`;
    } catch (err) {
      return (err as Error).message;
    }
  }
}
