import type { ClientMetadata, ClientRegistration, SecretHash } from './events.js';

export interface ClientState {
  clientId: string;
  metadata: ClientMetadata;
  secret: SecretHash | null;
  /** True too once deleted: every check that refuses a disabled client refuses a deleted one. */
  disabled: boolean;
  /** ClientDeleted: final; the id stays taken. */
  deleted?: boolean;
  registeredAt: number;
  updatedAt: number;
  /** The secret a rotation replaced, while it still authenticates (until expiresAt, ms). */
  previousSecret?: { secret: SecretHash; expiresAt: number };
  /** When the replaced secret was last recorded authenticating (ClientPreviousSecretUsed), ms. */
  previousSecretLastUsedAt?: number;
  /** Absent: registered by an operator. A metadata document's sha256 is that of the document last recorded. */
  registration?: ClientRegistration;
  /** RFC 7592: SHA-256 of the current registration access token; absent: the client cannot manage itself. */
  registrationTokenHash?: string;
}

/** The decider's view of one client stream: absent until registered. */
export type ClientStreamState = ClientState | undefined;
