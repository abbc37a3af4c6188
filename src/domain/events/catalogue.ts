import { Type, type Static, type TObject } from '@sinclair/typebox';

/**
 * An event type: its name, its schema version, and its JSON Schema (TypeBox, so the TypeScript type
 * and the schema cannot drift apart). `npm run schema:emit` writes every schema to
 * `schema/events/<type>.v<version>.json`; a test fails when the committed files differ.
 */
export interface EventDefinition<T extends string = string, S extends TObject = TObject> {
  type: T;
  version: number;
  schema: S;
}

export function defineEvent<T extends string, S extends TObject>(
  type: T,
  version: number,
  data: S,
): EventDefinition<T, S> {
  const schema = Type.Object(data.properties, {
    ...data,
    $id: `https://token-ledger.dev/schema/events/${type}.v${version}.json`,
    title: `${type} v${version}`,
    additionalProperties: false,
  }) as unknown as S;
  return { type, version, schema };
}

/** The domain event a decider emits: the type and its data, before the ledger adds the envelope. */
export type EventOf<D extends EventDefinition> = { type: D['type']; data: Static<D['schema']> };

/** The events of a list of event types, as a union discriminated by `type`. */
export type EventsOf<Defs extends readonly EventDefinition[]> = Defs[number] extends infer D
  ? D extends EventDefinition
    ? EventOf<D>
    : never
  : never;

export const IsoDateTime = Type.String({ format: 'date-time' });
