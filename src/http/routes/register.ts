import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { registerDynamicClient } from '../../application/registerDynamicClient.js';
import {
  authenticateManagement,
  deleteRegisteredClient,
  readRegisteredClient,
  replaceRegisteredClient,
} from '../../application/manageRegisteredClient.js';
import { invalidToken } from '../../application/registeredClients.js';
import { effectiveRegistrationPolicy } from '../../application/registrationPolicy.js';
import { loadSoftwareStatementIssuers } from '../../config/softwareStatementIssuers.js';
import { ClientMetadataError } from '../../domain/clients/metadataRules.js';
import { invalidRequest } from '../../oauth/errors.js';
import { SoftwareStatements } from '../../oauth/softwareStatement.js';
import type { Runtime } from '../../runtime.js';
import { RegistrationRate } from '../../security/registrationRate.js';
import { errorResponses } from './oauthSchemas.js';

/** Metadata with a JWK Set of 20 RSA keys fits; anything larger is no registration. */
const BODY_LIMIT = 32 * 1024;
const JSON_TYPE = /^application\/json\s*(;|$)/i;

/** RFC 7591 §3 / RFC 7592 §3: the body is a JSON object, sent as application/json. */
function jsonObject(request: FastifyRequest): Record<string, unknown> {
  if (!JSON_TYPE.test(request.headers['content-type'] ?? ''))
    throw invalidRequest('the request body must be application/json');
  const body = request.body;
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new ClientMetadataError('invalid_client_metadata', 'the client metadata must be a JSON object');
  return body as Record<string, unknown>;
}

/** RFC 6750 §2.1: the bearer token of the request; any other Authorization header is a token that is not good. */
function bearer(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header === undefined) return undefined;
  const match = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(header);
  if (!match) throw invalidToken();
  return match[1];
}

const noStore = (reply: FastifyReply) => reply.header('cache-control', 'no-store').header('pragma', 'no-cache');

/**
 * RFC 7591 dynamic client registration at /register and RFC 7592 management at /register/<client_id>. Off
 * (DYNAMIC_REGISTRATION=off): no route at all. The use cases hold the rules; these routes only read the request.
 */
export async function registerRoutes(app: FastifyInstance, { runtime }: { runtime: Runtime }) {
  const settings = runtime.config.registration;
  // Read (and refused, with one line) at startup, whatever the mode: a broken setting is never left for later.
  const statements = new SoftwareStatements(
    loadSoftwareStatementIssuers(settings.softwareStatementIssuersFile),
    runtime.config.issuer,
  );
  if (settings.mode === 'off') return;
  const access = { mode: settings.mode, statements };
  const rate = new RegistrationRate(settings.ratePerIp);
  // The client information is built field by field by the use cases (src/application/registeredClients.ts).
  const information = { type: 'object', additionalProperties: true } as const;
  const response = { 200: information, 201: information, 204: { type: 'null' }, ...errorResponses } as const;
  const options = { bodyLimit: BODY_LIMIT, schema: { response } };
  const context = (request: FastifyRequest, clientId?: string) => ({
    actor: clientId === undefined ? 'anonymous' : `client:${clientId}`,
    correlationId: request.id,
  });

  app.post('/register', options, async (request, reply) => {
    noStore(reply);
    // Counted before anything is awaited: parallel requests are held to the rate as sequential ones are.
    const perHour = effectiveRegistrationPolicy(runtime.ports).policy.registrationsPerIpPerHour;
    rate.take(request.ip, Date.now(), perHour);
    const initialAccessToken = bearer(request);
    const body = jsonObject(request);
    const info = await registerDynamicClient(runtime.ports, access, { body, initialAccessToken }, context(request));
    return reply.code(201).send(info);
  });

  type Managed = { Params: { clientId: string } };
  app.get<Managed>('/register/:clientId', options, async (request, reply) => {
    noStore(reply);
    return readRegisteredClient(runtime.ports, request.params.clientId, bearer(request));
  });
  app.put<Managed>('/register/:clientId', options, async (request, reply) => {
    noStore(reply);
    const { clientId } = request.params;
    const token = bearer(request);
    // The token is judged before the body: an unauthenticated caller learns nothing about what it sent.
    authenticateManagement(runtime.ports, clientId, token);
    const body = jsonObject(request);
    return replaceRegisteredClient(runtime.ports, statements, { clientId, token, body }, context(request, clientId));
  });
  app.delete<Managed>('/register/:clientId', options, async (request, reply) => {
    noStore(reply);
    const { clientId } = request.params;
    await deleteRegisteredClient(runtime.ports, clientId, bearer(request), context(request, clientId));
    return reply.code(204).send();
  });
}
