import type { AuthorizationGrantedEvent } from '../src/domain/grants/events.js';
import { defineProjection } from './projection.js';
import { dataOf } from './viewMaps.js';

/** Remembered consent: what each user has let each client have. */
interface ConsentsView {
  /** `${sub}\0${clientId}` → scopes consented to, added up across grants */
  bySubAndClient: Map<string, Set<string>>;
}

export const consentKey = (sub: string, clientId: string) => `${sub}\0${clientId}`;

export const consentsProjection = defineProjection<ConsentsView>({
  name: 'consents',
  version: 1,
  initialState: () => ({ bySubAndClient: new Map() }),
  on: {
    AuthorizationGranted: (v, e) => {
      const d = dataOf<AuthorizationGrantedEvent['data']>(e);
      const key = consentKey(d.sub, d.clientId);
      const set = v.bySubAndClient.get(key) ?? new Set<string>();
      for (const s of d.scope.split(' ')) if (s) set.add(s);
      v.bySubAndClient.set(key, set);
      return v;
    },
  },
});
