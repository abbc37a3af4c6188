import { clientsProjection } from '../../../projections/clients.js';
import type { ClientState } from '../../domain/clients/state.js';
import type { Views } from './views.js';

export const clientById = (views: Views, clientId: string): ClientState | undefined =>
  views(clientsProjection).byId.get(clientId);

export const isKnownClient = (views: Views, clientId: string): boolean => views(clientsProjection).byId.has(clientId);

/** Every client ever registered (disabled ones too), in registration order. */
export const allClients = (views: Views): IterableIterator<ClientState> => views(clientsProjection).byId.values();

/** A disabled client's tokens stop working with it; an unknown client is not "disabled". */
export const isClientDisabled = (views: Views, clientId: string): boolean =>
  views(clientsProjection).byId.get(clientId)?.disabled === true;
