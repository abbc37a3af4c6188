import fp from 'fastify-plugin';
import type { FastifyRequest } from 'fastify';
import { Counter } from 'prom-client';
import type { Runtime } from '../../runtime.js';
import { requestContextOf } from '../../security/requestContext.js';
import { recordFailure } from '../../application/securityEvents.js';
import type { SecurityCommand } from '../../domain/security/decide.js';
import { OUTCOME, type RequestContextData, type SecurityEventType } from '../../domain/security/events.js';

/** Attempts a throttle refused while their key was blocked: counted here, never recorded one by one. */
type Refusal = 'LoginRefused' | 'ClientAuthenticationRefused';

interface SecurityEvents {
  /** The request as security events keep it (SECURITY_EVENTS_ADDRESS, user agent cut short). */
  context(request: FastifyRequest): RequestContextData;
  /** An event recorded with another (LoginSucceeded, ConsentGiven …): counted for /metrics. */
  recorded(type: SecurityEventType): void;
  /** A failure, recorded in `stream`; a ledger that cannot take it is logged, the answer stays as it was. */
  failed(request: FastifyRequest, stream: string, command: SecurityCommand): Promise<void>;
  refused(type: Refusal): void;
}

declare module 'fastify' {
  interface FastifyInstance {
    securityEvents: SecurityEvents;
  }
}

const FAILED_TYPE = {
  RecordLoginFailure: 'LoginFailed',
  RecordClientAuthenticationFailure: 'ClientAuthenticationFailed',
};

/** Security events' request context and their counter in /metrics (`security_events_total{type,outcome}`). */
export const securityEventsPlugin = fp<{ runtime: Runtime }>(
  async (app, { runtime }) => {
    const contextOf = requestContextOf(runtime.config.securityEvents.address, runtime.keyEncryptionSecret);
    const counter = new Counter({
      name: 'security_events_total',
      help: 'Security events by type and outcome; refused: throttled attempts, not recorded one by one',
      labelNames: ['type', 'outcome'],
      registers: [app.metrics.registry],
    });
    const events: SecurityEvents = {
      context: (request) => contextOf(request.ip, request.headers['user-agent']),
      recorded: (type) => counter.inc({ type, outcome: OUTCOME[type] }),
      refused: (type) => counter.inc({ type, outcome: 'refused' }),
      async failed(request, stream, command) {
        const type = FAILED_TYPE[command.type] as SecurityEventType;
        counter.inc({ type, outcome: 'failure' });
        const ctx = { actor: 'anonymous', correlationId: request.id };
        await recordFailure(runtime.ports, stream, command, ctx, request.log);
      },
    };
    app.decorate('securityEvents', events);
  },
  { name: 'security-events' },
);
