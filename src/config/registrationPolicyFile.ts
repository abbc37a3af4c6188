import { readFileSync } from 'node:fs';
import { readRegistrationPolicy, type RegistrationPolicy } from '../domain/registration/policy.js';
import { ConfigError } from './configParsing.js';

/**
 * REGISTRATION_POLICY_FILE, read once at startup: a file that cannot be read, is not JSON, or is not a
 * RegistrationPolicy refuses the start with one line naming the setting (docs/registration-policy.md).
 */
export function registrationPolicyFile(path: string): RegistrationPolicy {
  const invalid = (why: string) =>
    new ConfigError(`REGISTRATION_POLICY_FILE=${JSON.stringify(path)} is invalid: ${why}`);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw invalid(`cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw invalid('expected a JSON object such as {"grantTypes":["authorization_code"]}');
  }
  const read = readRegistrationPolicy(json);
  if ('problem' in read) throw invalid(read.problem);
  return read.policy;
}
