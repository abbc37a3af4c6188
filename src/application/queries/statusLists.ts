import { statusListBytes, statusListsProjection } from '../../../projections/statusLists.js';
import type { Views } from './views.js';

/** The ids of every published Token Status List, sorted. */
export const statusListIds = (views: Views): string[] => [...views(statusListsProjection).lists.keys()].sort();

/** The list's bits as published, or undefined for an unknown list. */
export const statusListContent = (views: Views, id: string): Uint8Array | undefined =>
  statusListBytes(views(statusListsProjection), id);
