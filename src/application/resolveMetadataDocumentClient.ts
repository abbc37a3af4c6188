import { metadataFromDocument } from '../domain/clients/metadataDocument.js';
import { Refusal } from '../domain/refusal.js';
import { documentRegistration } from '../domain/registration/documentRegistration.js';
import type { CommandContext } from '../eventsourcing/ledger.js';
import { clientIdUrl, isClientIdUrl } from '../registration/clientIdUrl.js';
import { FreshDocuments, type CacheLimits } from '../registration/metadataDocumentCache.js';
import {
  fetchMetadataDocument,
  type FetchedDocument,
  type FetcherOptions,
} from '../registration/metadataDocumentFetcher.js';
import { MetadataDocumentRefused } from '../registration/metadataDocumentRefused.js';
import { RegistrationRate } from '../security/registrationRate.js';
import { handleClientCommand } from './clients.js';
import type { Ports } from './ports.js';
import { serverRegistrationPolicy } from './registrationPolicy.js';
import { clientById } from './queries/clients.js';

type Fetch = (url: string, options: FetcherOptions) => Promise<FetchedDocument>;

interface ResolverOptions {
  fetcher: FetcherOptions;
  cache?: CacheLimits;
  /** The network fetch; tests count or replace it. */
  fetch?: Fetch;
  /** REGISTRATION_RATE_PER_IP: new clients (a fetch of an unknown URL) one address may cause per hour. */
  newClientsPerIp?: number;
}

/** Fetches under way at once, all URLs together: beyond it a new one is refused rather than queued. */
const MAX_FETCHES_IN_FLIGHT = 64;

/**
 * Client ID metadata documents (draft-ietf-oauth-client-id-metadata-document): a client_id that is a URL is resolved
 * by fetching it before the client is looked up. What the document says is recorded in the ledger (ClientRegistered,
 * then ClientUpdated with the document's hash when it changes), so every token names a client whose metadata the
 * ledger holds exactly; a document that is refused writes nothing. One fetch at a time per URL, and none while the
 * last one is fresh by its Cache-Control.
 */
export class MetadataDocumentClients {
  private readonly fresh: FreshDocuments;
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly fetch: Fetch;
  private readonly newClients: RegistrationRate | undefined;

  constructor(
    private readonly ports: Pick<Ports, 'clock' | 'config' | 'events' | 'views'>,
    private readonly options: ResolverOptions,
  ) {
    this.fresh = new FreshDocuments(ports.clock, options.cache);
    this.fetch = options.fetch ?? fetchMetadataDocument;
    this.newClients = options.newClientsPerIp === undefined ? undefined : new RegistrationRate(options.newClientsPerIp);
  }

  /** Whether `clientId` is resolved through its document (a URL; an id registered otherwise is looked up as it is). */
  applies(clientId: string): boolean {
    if (!isClientIdUrl(clientId)) return false;
    const client = clientById(this.ports.views, clientId);
    return client === undefined || client.registration?.via === 'metadata_document';
  }

  /**
   * Brings the client named by the URL `clientId` up to its document; throws MetadataDocumentRefused when the URL,
   * the fetch or the document is refused. A disabled client is not fetched for: it stays as it is, refused by the
   * lookup that follows.
   */
  async resolve(clientId: string, ctx: CommandContext, ip?: string): Promise<void> {
    clientIdUrl(clientId, { allowLoopbackHttp: this.options.fetcher.allowLoopbackHttp });
    const client = clientById(this.ports.views, clientId);
    if (client?.disabled) return;
    if (client && this.fresh.isFresh(clientId)) return;
    let pending = this.inFlight.get(clientId);
    if (!pending) {
      // Anyone may name a URL: a new client costs a fetch and a record, so it is counted as a registration is, and
      // the fetches under way are bounded (counted synchronously: parallel requests as sequential ones).
      if (this.inFlight.size >= MAX_FETCHES_IN_FLIGHT)
        throw new MetadataDocumentRefused('too many client metadata documents are being fetched; retry shortly');
      if (!client && ip !== undefined) this.countNewClient(ip);
      pending = this.refresh(clientId, ctx).finally(() => this.inFlight.delete(clientId));
      this.inFlight.set(clientId, pending);
    }
    return pending;
  }

  private countNewClient(ip: string): void {
    try {
      this.newClients?.take(ip, this.ports.clock());
    } catch (err) {
      throw new MetadataDocumentRefused('too many new clients from this address; retry later', err);
    }
  }

  private async refresh(url: string, ctx: CommandContext): Promise<void> {
    const fetched = await this.fetch(url, this.options.fetcher);
    try {
      // Held to the policy in force on every version read, so a tightened policy holds from the next fetch.
      const policy = await serverRegistrationPolicy(this.ports);
      const metadata = documentRegistration(policy, metadataFromDocument(url, fetched.document));
      await handleClientCommand(
        this.ports,
        { type: 'RecordMetadataDocument', clientId: url, metadata, document: { url, sha256: fetched.sha256 } },
        ctx,
      );
    } catch (err) {
      // A rule of the draft's or of every registration: the caller is told which, as for a failed fetch.
      if (err instanceof Refusal && !err.retryable && !(err instanceof MetadataDocumentRefused))
        throw new MetadataDocumentRefused(err.description, err);
      throw err;
    }
    this.fresh.remember(url, fetched.cacheControl);
  }
}
