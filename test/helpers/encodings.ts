/**
 * Every way a secret could be written down: raw, percent- and form-encoded, base64, JSON-escaped, and a JWT's signature
 * alone. Shared by the secret-hygiene test and the erasure test (personal data looked for in the raw store).
 */
export function encodedForms(secret: string): string[] {
  const forms = new Set([
    secret,
    encodeURIComponent(secret),
    new URLSearchParams({ x: secret }).toString().slice(2),
    Buffer.from(secret).toString('base64'),
    Buffer.from(secret).toString('base64url'),
    JSON.stringify(secret).slice(1, -1),
  ]);
  const parts = secret.split('.');
  if (parts.length === 3 && parts[2].length >= 20) forms.add(parts[2]);
  return [...forms].filter((f) => f.length >= 12);
}
