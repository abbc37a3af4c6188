/**
 * oidc-provider ships no types (DefinitelyTyped has them); the benchmark's peer uses only this much.
 * In v9 `Provider` is a Koa application.
 */
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  export class Provider {
    constructor(issuer: string, configuration?: Record<string, unknown>);
    readonly issuer: string;
    /** Koa: do not log errors to stderr. */
    silent: boolean;
    proxy: boolean;
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
    on(event: string, listener: (...args: unknown[]) => void): this;
    interactionDetails(
      req: IncomingMessage,
      res: ServerResponse,
    ): Promise<{
      uid: string;
      grantId?: string;
      params: Record<string, unknown>;
      prompt: {
        name: string;
        details: {
          missingOIDCScope?: string[];
          missingOIDCClaims?: string[];
          missingResourceScopes?: Record<string, string[]>;
        };
      };
    }>;
    interactionFinished(
      req: IncomingMessage,
      res: ServerResponse,
      result: Record<string, unknown>,
      options?: { mergeWithLastSubmission?: boolean },
    ): Promise<void>;
    Grant: {
      new (init: { accountId: string; clientId: string }): PeerGrant;
      find(id: string): Promise<PeerGrant | undefined>;
    };
  }
  interface PeerGrant {
    addOIDCScope(scope: string): void;
    addOIDCClaims(claims: string[]): void;
    addResourceScope(indicator: string, scope: string): void;
    save(): Promise<string>;
  }
  export const errors: Record<string, new (description?: string) => Error> & {
    InvalidTarget: new (description?: string) => Error;
  };
  export default Provider;
}

/** oidc-provider's own in-memory adapter; `store` needs get/set/delete (a Map will do). */
declare module 'oidc-provider/lib/adapters/memory_adapter.js' {
  export default class MemoryAdapter {
    constructor(
      model: string,
      store?: { get(key: string): unknown; set(key: string, value: unknown): unknown; delete(key: string): unknown },
    );
  }
}
