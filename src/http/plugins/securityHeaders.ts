import fp from 'fastify-plugin';

/** One year; browsers ignore the header over plain http, so it is sent only for an https issuer. */
export const HSTS = 'max-age=31536000';

const HTML = /^text\/html/i;

/** For an HTML response whose route set no policy of its own: nothing runs, nothing frames it. */
const FALLBACK_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'";

/**
 * Headers every response carries, whatever route or error handler produced it: `nosniff` (a JSON
 * body is never run as a script or rendered as HTML), HSTS when the issuer is https, and a CSP on
 * HTML. A policy the page set itself is kept: web_message's frame-ancestors names the client's
 * origin on purpose.
 */
export const securityHeadersPlugin = fp<{ issuer: string }>(
  async (app, { issuer }) => {
    const https = issuer.startsWith('https:');
    // A callback hook, not an async one: it runs on every response, and a promise per response costs
    // more than the three headers it sets.
    app.addHook('onSend', (_request, reply, payload, done) => {
      reply.header('x-content-type-options', 'nosniff');
      if (https) reply.header('strict-transport-security', HSTS);
      const type = reply.getHeader('content-type');
      if (type !== undefined && HTML.test(String(type)) && !reply.hasHeader('content-security-policy')) {
        reply.header('content-security-policy', FALLBACK_CSP);
      }
      done(null, payload);
    });
  },
  { name: 'security-headers' },
);
