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
  }
  export const errors: Record<string, new (description?: string) => Error> & {
    InvalidTarget: new (description?: string) => Error;
  };
  export default Provider;
}
