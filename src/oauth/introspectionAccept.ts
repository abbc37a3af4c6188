/**
 * RFC 9701 §4 with RFC 9110 §12.5.1: does the Accept header ask for the signed introspection answer
 * (`application/token-introspection+jwt`) over the JSON one? Only when the JWT is named and
 * acceptable (q > 0) with a weight at least that of JSON (matched by `application/json`, else
 * `application/*`, else `*`/`*`). A wildcard alone never selects the JWT: it is opted into, not
 * negotiated into. A malformed media range (a bad q, no subtype) is ignored, as §12.5.1 permits.
 */
export function prefersSignedIntrospection(accept: string | undefined): boolean {
  // The usual requests (no Accept, application/json, */*) never name the JWT: decided without parsing.
  if (accept === undefined || accept === '*/*' || accept === JSON_TYPE || !NAMES_JWT.test(accept)) return false;
  let jwt = 0;
  let json = 0;
  let jsonSpecificity = -1;
  for (const element of splitOutsideQuotes(accept, ',')) {
    const range = parseMediaRange(element);
    if (range === undefined) continue;
    if (range.type === JWT) {
      jwt = Math.max(jwt, range.q);
      continue;
    }
    const specificity =
      range.type === JSON_TYPE ? 2 : range.type === 'application/*' ? 1 : range.type === '*/*' ? 0 : -1;
    if (specificity < 0 || specificity < jsonSpecificity) continue;
    json = specificity > jsonSpecificity ? range.q : Math.max(json, range.q);
    jsonSpecificity = specificity;
  }
  return jwt > 0 && jwt >= json;
}

const JWT = 'application/token-introspection+jwt';
const JSON_TYPE = 'application/json';
const NAMES_JWT = /token-introspection\+jwt/i;
const TOKEN = "[!#$%&'*+.^_`|~0-9a-z-]+";
const MEDIA_RANGE = new RegExp(`^${TOKEN}/${TOKEN}$`);
const PARAMETER_NAME = new RegExp(`^${TOKEN}$`);
/** RFC 9110 §12.4.2: at most three decimals, at most 1. */
const QVALUE = /^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/;

/** One media range and its weight; undefined when it is malformed or empty. */
export function parseMediaRange(element: string): { type: string; q: number } | undefined {
  const [head, ...parameters] = splitOutsideQuotes(element, ';');
  const type = head.trim().toLowerCase();
  if (!MEDIA_RANGE.test(type)) return undefined;
  for (const parameter of parameters) {
    const eq = parameter.indexOf('=');
    const name = (eq < 0 ? parameter : parameter.slice(0, eq)).trim().toLowerCase();
    if (!PARAMETER_NAME.test(name)) return undefined;
    // The weight ends the media type's own parameters; what follows it (accept-ext) does not matter here.
    if (name === 'q') {
      const value = parameter.slice(eq + 1).trim();
      return eq >= 0 && QVALUE.test(value) ? { type, q: Number(value) } : undefined;
    }
  }
  return { type, q: 1 };
}

/** Splits on `separator` except inside a quoted-string (a parameter value may hold `,` or `;`). */
export function splitOutsideQuotes(text: string, separator: string): string[] {
  const parts: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '\\') i++;
      else if (c === '"') quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === separator) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}
