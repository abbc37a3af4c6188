import { scopeTokens } from '../domain/clients/metadataRules.js';
import { invalidScope, invalidTarget } from './errors.js';

/** RFC 6749 §3.3: the requested scope must be within the registered one; none requested means all of it. */
export function grantedScope(requested: string | undefined, registered: string): string {
  const allowed = scopeTokens(registered);
  if (requested === undefined) return allowed.join(' ');
  const wanted = [...new Set(scopeTokens(requested))];
  const extra = wanted.filter((s) => !allowed.includes(s));
  if (extra.length > 0) throw invalidScope(`scope not allowed for this client: ${extra.join(' ')}`);
  if (wanted.length === 0) throw invalidScope('scope is empty');
  return wanted.join(' ');
}

/** RFC 8707 §2: each resource is an absolute URI without a fragment. */
export function resourceIndicators(values: string[] | undefined): string[] {
  const resources = [...new Set(values ?? [])];
  for (const r of resources) {
    let url: URL | undefined;
    try {
      url = new URL(r);
    } catch {
      url = undefined;
    }
    if (!url || r.includes('#'))
      throw invalidTarget(`resource ${JSON.stringify(r)} must be an absolute URI without a fragment`);
  }
  return resources;
}
