import fp from 'fastify-plugin';
import type { FastifyRequest } from 'fastify';
import { rememberClientAssertion } from '../../application/rememberClientAssertion.js';
import {
  authenticateClient,
  type AuthenticatedClient,
  type ClientAuthDeps,
  type ClientAuthGuard,
} from '../../oauth/clientAuth.js';
import { ClientAuthThrottle } from '../../security/clientAuthThrottle.js';
import { ClientSecretVerifier, type SecretCheck } from '../../security/clientSecrets.js';
import { addressKey, type Reservation } from '../../security/escalatingThrottle.js';
import { throttleStream } from '../../domain/throttle/streams.js';
import { ledgerBlocks } from '../../application/throttle.js';
import { previousSecretRecorder } from '../../application/rotateClientSecret.js';
import { invalidRequest } from '../../oauth/errors.js';
import type { Params } from '../../oauth/params.js';
import type { CommandContext } from '../../eventsourcing/ledger.js';
import type { Runtime } from '../../runtime.js';
import { clientById } from '../../application/queries/clients.js';
import type { ClientState } from '../../domain/clients/state.js';
import type { NamedClient } from '../../security/clientAuthThrottle.js';
import type { ServerProfile } from '../../domain/clients/securityProfile.js';
import { isFormEncoded } from '../formBody.js';
import { MetadataDocumentClients } from '../../application/resolveMetadataDocumentClient.js';
import { assertionIssuer } from '../../crypto/clientAssertion.js';

declare module 'fastify' {
  interface FastifyInstance {
    oauth: {
      /** A value when nothing had to be waited for (see authenticateClient); `await` takes either. */
      authenticate(
        request: FastifyRequest,
        params: Params,
        endpoint: string,
      ): AuthenticatedClient | Promise<AuthenticatedClient>;
      context(request: FastifyRequest, client?: AuthenticatedClient): CommandContext;
      requireForm(request: FastifyRequest): void;
      /**
       * When client ID metadata documents are on and `clientId` is a URL: brings that client up to its document
       * (rejects with MetadataDocumentRefused). Undefined when there is nothing to do.
       */
      metadataDocument(request: FastifyRequest, clientId: unknown): Promise<void> | undefined;
    };
  }
}

/** What the endpoints' client authentication shares across requests. */
interface Shared {
  runtime: Runtime;
  verifier: ClientSecretVerifier;
  throttle: ClientAuthThrottle;
  recordPreviousSecretUse: (clientId: string, correlationId: string) => void;
}

const UNNAMED: NamedClient = { clientId: undefined, guarded: false };

/**
 * One request's client authentication: its dependencies and its throttle guard in one object,
 * methods on the prototype, so that a request allocates this and nothing more to be authenticated
 * (a secret that needs the slow hash also gets its verifier bound to this request's throttle).
 */
class RequestClientAuth implements ClientAuthDeps, ClientAuthGuard {
  private named = UNNAMED;
  /** Held from the admission of a slow secret check until its outcome is counted. */
  private reservation: Reservation | undefined;

  constructor(
    private readonly shared: Shared,
    private readonly request: FastifyRequest,
    private readonly endpoint: string,
  ) {}

  private get app() {
    return this.request.server;
  }

  /** The shared verifier, its slow hash admitted by the throttle first (src/security/clientAuthThrottle.ts). */
  get verifier(): SecretCheck {
    return {
      check: (clientId, presented, stored) =>
        this.shared.verifier.check(clientId, presented, stored, () => this.admit()),
    };
  }

  private async admit(): Promise<void> {
    try {
      this.reservation = await this.shared.throttle.admit(this.named, this.request.ip);
    } catch (err) {
      this.app.securityEvents.refused('ClientAuthenticationRefused');
      throw err;
    }
  }

  get throttle(): ClientAuthGuard {
    return this;
  }

  /** Only a client assertion looks at these. */
  get audiences(): string[] {
    const { issuer } = this.shared.runtime.config;
    return [issuer, `${issuer}/token`, this.endpoint];
  }

  get profile(): ServerProfile {
    return this.shared.runtime.config.profile;
  }

  get issuer(): string {
    return this.shared.runtime.config.issuer;
  }

  clientById(clientId: string): ClientState | undefined {
    return clientById(this.shared.runtime.views, clientId);
  }

  catchUp(): Promise<void> {
    return this.shared.runtime.runner.catchUp();
  }

  rememberAssertion(clientId: string, jti: string, exp: number): Promise<boolean> {
    return rememberClientAssertion(this.shared.runtime.ports, clientId, jti, exp, {
      actor: `client:${clientId}`,
      correlationId: this.request.id,
    });
  }

  previousSecretUsed(clientId: string): void {
    this.shared.recordPreviousSecretUse(clientId, this.request.id);
  }

  check(named: NamedClient): void {
    this.named = named;
    try {
      this.shared.throttle.check(named, this.request.ip);
    } catch (err) {
      this.app.securityEvents.refused('ClientAuthenticationRefused');
      throw err;
    }
  }

  async failed(named: NamedClient): Promise<void> {
    // Counted synchronously; the reservation ends before the block's durable recording is awaited.
    const blocks = this.shared.throttle.recordFailure(named, this.request.ip, Date.now(), this.request.id);
    this.reservation?.release();
    // Only a failure the throttle admitted gets here (a blocked one was refused by check or admit): every attempt is
    // recorded until its key blocks. In the address's throttle stream, the one tier no client is exempt from.
    const { request } = this;
    const security = this.app.securityEvents;
    const guarded = named.guarded && named.clientId !== undefined;
    const recorded = security.failed(
      request,
      throttleStream({ scope: 'client', tier: 'ip', subject: addressKey(request.ip) }),
      {
        type: 'RecordClientAuthenticationFailure',
        reason: guarded ? 'invalid_client' : 'unknown_client',
        ...(guarded && { clientId: named.clientId }),
        endpoint: (request.routeOptions.url ?? request.url.split('?')[0] ?? '/').slice(0, 64),
        context: security.context(request),
      },
    );
    await Promise.all([blocks, recorded]);
  }

  succeeded(clientId: string): void {
    this.shared.throttle.recordSuccess(clientId, this.request.ip);
    this.reservation?.release();
  }
}

/** The resolver of client ID metadata documents, when CLIENT_ID_METADATA_DOCUMENTS=on. */
function metadataDocumentClients(runtime: Runtime): MetadataDocumentClients | undefined {
  const { metadataDocuments, metadataDocumentsAllowLoopbackHttp } = runtime.config.registration;
  if (!metadataDocuments) return undefined;
  return new MetadataDocumentClients(runtime.ports, {
    fetcher: { allowLoopbackHttp: metadataDocumentsAllowLoopbackHttp },
    newClientsPerIp: runtime.config.registration.ratePerIp,
  });
}

/** What every OAuth endpoint shares: client authentication and the command context of a request. */
export const oauthClientsPlugin = fp<{ runtime: Runtime }>(
  async (app, { runtime }) => {
    // Blocks started here are recorded in the ledger; blocks any instance recorded are honoured here.
    const shared: Shared = {
      runtime,
      verifier: new ClientSecretVerifier(),
      throttle: new ClientAuthThrottle(runtime.config.throttle, ledgerBlocks(runtime.ports, app.log)),
      // Not awaited: the request goes on; a record that fails is logged, and the next use records again.
      recordPreviousSecretUse: previousSecretRecorder(runtime.ports, (err) =>
        app.log.warn({ err }, 'could not record a use of a replaced client secret'),
      ),
    };
    const documents = metadataDocumentClients(runtime);
    const metadataDocument = (request: FastifyRequest, clientId: unknown): Promise<void> | undefined => {
      if (!documents || typeof clientId !== 'string' || !documents.applies(clientId)) return undefined;
      return documents.resolve(clientId, { actor: `client:${clientId}`, correlationId: request.id }, request.ip);
    };
    const authenticate = (request: FastifyRequest, params: Params, endpoint: string) =>
      authenticateClient(
        request.headers.authorization,
        params,
        new RequestClientAuth(shared, request, endpoint),
        Math.floor(Date.now() / 1000),
      );
    app.decorate('oauth', {
      authenticate(request, params, endpoint) {
        // A document client has no secret: its id is the client_id parameter, or a client assertion's issuer.
        const documentId =
          params.client_id ?? (params.client_assertion ? assertionIssuer(params.client_assertion) : undefined);
        const resolving = metadataDocument(request, documentId);
        return resolving
          ? resolving.then(() => authenticate(request, params, endpoint))
          : authenticate(request, params, endpoint);
      },
      metadataDocument,
      context(request, client) {
        return { actor: client ? `client:${client.client.clientId}` : 'anonymous', correlationId: request.id };
      },
      requireForm(request) {
        if (!isFormEncoded(request.headers['content-type'])) {
          throw invalidRequest('the request body must be application/x-www-form-urlencoded');
        }
      },
    });
  },
  { name: 'oauth-clients' },
);
