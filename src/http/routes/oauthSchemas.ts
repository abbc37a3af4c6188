/** Response schemas: Fastify serialises only what is declared, so nothing else can slip out. */
const oauthErrorSchema = {
  type: 'object',
  properties: { error: { type: 'string' }, error_description: { type: 'string' } },
  required: ['error'],
  additionalProperties: false,
} as const;

export const errorResponses = {
  400: oauthErrorSchema,
  401: oauthErrorSchema,
  413: oauthErrorSchema,
  503: oauthErrorSchema,
} as const;

export const tokenResponseSchema = {
  type: 'object',
  properties: {
    access_token: { type: 'string' },
    token_type: { type: 'string' },
    expires_in: { type: 'integer' },
    scope: { type: 'string' },
    refresh_token: { type: 'string' },
    id_token: { type: 'string' },
    issued_token_type: { type: 'string' },
  },
  required: ['access_token', 'token_type', 'expires_in'],
  additionalProperties: false,
} as const;

export const introspectionResponseSchema = {
  type: 'object',
  properties: {
    active: { type: 'boolean' },
    scope: { type: 'string' },
    client_id: { type: 'string' },
    sub: { type: 'string' },
    aud: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] },
    iss: { type: 'string' },
    exp: { type: 'integer' },
    iat: { type: 'integer' },
    jti: { type: 'string' },
    token_type: { type: 'string' },
    cnf: {
      type: 'object',
      properties: { jkt: { type: 'string' } },
      required: ['jkt'],
      additionalProperties: false,
    },
    // RFC 8693 §4.1: who acts for the subject, prior actors nested.
    act: { type: 'object', additionalProperties: true },
  },
  required: ['active'],
  additionalProperties: false,
} as const;
