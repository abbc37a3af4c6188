import { MemoryEventStore } from '../helpers/memoryEventStore.js';
import { runEventStoreContract } from './eventStoreContract.js';

// The application layer's unit tests run over this store: it is held to the same contract as the real ones.
let store: MemoryEventStore | undefined;

runEventStoreContract('in-memory (tests)', {
  open: async () => (store = MemoryEventStore.open()),
  openAnother: async () => store!.another(),
});
