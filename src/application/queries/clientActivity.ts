import { clientActivityProjection } from '../../../projections/clientActivity.js';
import type { Views } from './views.js';

/** When the client was last issued a token or an authorization code (ms); undefined: never. */
export const clientLastUsedAt = (views: Views, clientId: string): number | undefined =>
  views(clientActivityProjection).lastUsedAt.get(clientId);
