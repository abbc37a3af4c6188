import type { RegistrationPolicy } from '../domain/registration/policy.js';
import type { Ports } from './ports.js';

/** The policy every self-registration is held to (before an initial access token narrows it). */
export async function serverRegistrationPolicy(_ports: Pick<Ports, 'config' | 'events'>): Promise<RegistrationPolicy> {
  return {};
}
