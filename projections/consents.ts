import { addConsent, type Consented } from '../src/domain/consent/consented.js';
import type { AuthorizationGrantedEvent } from '../src/domain/grants/events.js';
import { defineProjection } from './projection.js';
import { dataOf } from './viewMaps.js';

/** Remembered consent: what each user has let each client have, and at which resources. */
interface ConsentsView {
  /** `${sub}\0${clientId}` → per resource (or none), the scopes consented to, added up across answers */
  bySubAndClient: Map<string, Consented>;
}

export const consentKey = (sub: string, clientId: string) => `${sub}\0${clientId}`;

export const consentsProjection = defineProjection<ConsentsView>({
  name: 'consents',
  // 2: consent is kept per resource indicator.
  version: 2,
  initialState: () => ({ bySubAndClient: new Map() }),
  on: {
    AuthorizationGranted: (v, e) => {
      const d = dataOf<AuthorizationGrantedEvent['data']>(e);
      const key = consentKey(d.sub, d.clientId);
      v.bySubAndClient.set(
        key,
        addConsent(v.bySubAndClient.get(key) ?? new Map<string, Set<string>>(), d.scope, d.resources),
      );
      return v;
    },
  },
});
