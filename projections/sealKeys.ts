import { defineProjection } from './projection.js';

/** The public halves of every seal key ever generated, oldest first: all of them stay published. */
export const sealKeysProjection = defineProjection<Array<Record<string, unknown>>>({
  name: 'sealKeys',
  version: 1,
  initialState: () => [],
  on: {
    SealKeyGenerated: (state, event: { data: { publicJwk: Record<string, unknown> } }) => {
      state.push(event.data.publicJwk);
      return state;
    },
  },
});
