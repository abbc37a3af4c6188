/**
 * What a request asks consent for when it names no resource indicator (RFC 8707): its access tokens are for this
 * server only. Consent for it covers no resource server, and consent for a resource server does not cover it.
 */
export const NO_RESOURCE = '';

/** What a user consented to for one client: per resource (or NO_RESOURCE), the scopes allowed there. */
export type Consented = Map<string, Set<string>>;

/** The resources a consent or a request is for; one that names none is for "no specific resource". */
const targetsOf = (resources: readonly string[] | undefined): readonly string[] =>
  resources && resources.length > 0 ? resources : [NO_RESOURCE];

const scopesOf = (scope: string) => scope.split(' ').filter(Boolean);

/**
 * Adds one answer of the consent page to `consented` (in place): each scope, for each resource it named. Consent
 * recorded before resources were (no `resources`) is consent for no specific resource.
 */
export function addConsent(consented: Consented, scope: string, resources: readonly string[] | undefined): Consented {
  for (const resource of targetsOf(resources)) {
    const scopes = consented.get(resource) ?? new Set<string>();
    for (const s of scopesOf(scope)) scopes.add(s);
    consented.set(resource, scopes);
  }
  return consented;
}

/**
 * Whether a request for `scopes` at `resources` was consented to: every scope, at every resource it names. Scopes
 * allowed at one resource server are not allowed at another, even of the same name.
 */
export function consentCovers(
  consented: ReadonlyMap<string, ReadonlySet<string>> | undefined,
  scopes: readonly string[],
  resources: readonly string[],
): boolean {
  if (!consented) return false;
  return targetsOf(resources).every((resource) => {
    const allowed = consented.get(resource);
    return allowed !== undefined && scopes.every((s) => allowed.has(s));
  });
}
