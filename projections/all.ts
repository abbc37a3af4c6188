import type { Projection } from './projection.js';
import { keysProjection } from './keys.js';

/** Every view the runner maintains. */
export const allProjections: Projection<any>[] = [keysProjection];
