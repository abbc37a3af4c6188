import { randomUUID, type KeyObject } from 'node:crypto';
import { CompactSign } from 'jose';
import { generateKeyMaterial, decryptPrivateKey } from '../crypto/keyMaterial.js';
import { currentSealKey, sealDecider, type NewSealKey, type SealState } from '../domain/seals/decider.js';
import { SEAL_STREAM, type SealEvent } from '../domain/seals/events.js';
import type { EventStore } from '../eventsourcing/eventStore.js';
import type { CommandContext } from '../eventsourcing/ledger.js';
import { execute } from './execute.js';
import type { Ports } from './ports.js';

type SealPorts = Pick<Ports, 'clock' | 'events' | 'keyEncryptionSecret'>;

const systemContext = (): CommandContext => ({ actor: 'system', correlationId: randomUUID() });

export async function readSealState(store: Pick<EventStore, 'readStream'>): Promise<SealState> {
  const events = await store.readStream(SEAL_STREAM);
  return events.reduce((s, e) => sealDecider.evolve(s, e as unknown as SealEvent), sealDecider.initialState());
}

/** Every seal key ever made, as a JWKS: a seal is checked with the key that signed it, however old. */
export const sealJwks = (state: SealState): { keys: Record<string, unknown>[] } => ({
  keys: state.keys.map((k) => k.publicJwk),
});

const newSealKey = async (secret: string) => (await generateKeyMaterial('ES256', secret)) as NewSealKey;

/** On first start, the seal key; instances starting together race on the seal stream and adopt the winner's. */
export async function ensureSealKey(ports: SealPorts): Promise<void> {
  if ((await readSealState(ports.events.ledger.store)).keys.length > 0) return;
  const key = await newSealKey(ports.keyEncryptionSecret);
  await execute(
    ports.events,
    SEAL_STREAM,
    sealDecider,
    { type: 'EnsureSealKey', now: ports.clock(), key },
    systemContext(),
  );
}

/** A new seal key signs from now on; the old ones stay published. */
export async function rotateSealKey(ports: SealPorts, ctx: CommandContext): Promise<string> {
  const key = await newSealKey(ports.keyEncryptionSecret);
  await execute(ports.events, SEAL_STREAM, sealDecider, { type: 'RotateSealKey', now: ports.clock(), key }, ctx);
  return key.kid;
}

export interface SealHead {
  treeSize: number;
  rootHash: string;
  lastType: string | null;
}

export type SealData = Extract<SealEvent, { type: 'LedgerSealed' }>['data'];

/** The JWS of a seal: ES256 over exactly the fields an offline verifier compares (src/sdk/ledger-proof.ts). */
export async function signSeal(
  payload: { treeSize: number; rootHash: string; sealedAt: string },
  kid: string,
  key: KeyObject,
): Promise<string> {
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg: 'ES256', kid, typ: 'ledger-seal+jws' })
    .sign(key);
}

/**
 * Seals the tree as `head` describes it, unless the only leaf after the last sealed size is that seal itself.
 * Processes that seal at once append at the seal stream's revision: the loser decides again, finds the size sealed,
 * and writes nothing.
 */
export async function sealLedger(
  ports: SealPorts,
  head: SealHead,
  privateKey: (kid: string, state: SealState) => Promise<KeyObject>,
): Promise<SealData | undefined> {
  if (head.treeSize === 0) return undefined;
  const state = await readSealState(ports.events.ledger.store);
  if (head.treeSize <= state.lastTreeSize) return undefined;
  if (head.lastType === 'LedgerSealed' && head.treeSize === state.lastTreeSize + 1) return undefined;
  const key = currentSealKey(state);
  if (!key) return undefined;
  const now = ports.clock();
  const sealedAt = new Date(now).toISOString();
  const jws = await signSeal(
    { treeSize: head.treeSize, rootHash: head.rootHash, sealedAt },
    key.kid,
    await privateKey(key.kid, state),
  );
  const { events } = await execute(
    ports.events,
    SEAL_STREAM,
    sealDecider,
    { type: 'Seal', treeSize: head.treeSize, rootHash: head.rootHash, sealedAt: now, kid: key.kid, jws },
    systemContext(),
    { waitForViews: false },
  );
  const sealed = events.find((e) => e.type === 'LedgerSealed');
  return sealed?.type === 'LedgerSealed' ? sealed.data : undefined;
}

/** Decrypts seal keys once each (the KDF is slow on purpose). */
export function sealKeyCache(secret: string): (kid: string, state: SealState) => Promise<KeyObject> {
  const cache = new Map<string, Promise<KeyObject>>();
  return (kid, state) => {
    let p = cache.get(kid);
    if (!p) {
      const record = state.keys.find((k) => k.kid === kid);
      if (!record) return Promise.reject(new Error(`unknown seal key ${kid}`));
      p = decryptPrivateKey(kid, record.encryptedPrivateKey, secret);
      p.catch(() => cache.delete(kid));
      cache.set(kid, p);
    }
    return p;
  };
}
