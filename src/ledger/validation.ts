import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { EventDefinition } from '../domain/events/catalogue.js';

// ajv-formats is CommonJS; its default export arrives wrapped under NodeNext resolution.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

export class EventValidationError extends Error {
  override readonly name = 'EventValidationError';
}

/** Compiled validators for every (type, version) in the catalogue. */
export class EventCatalogue {
  private readonly validators = new Map<string, ValidateFunction>();
  private readonly latest = new Map<string, number>();

  constructor(definitions: EventDefinition[]) {
    const ajv = new Ajv({ allErrors: false, strict: true });
    addFormats(ajv);
    for (const d of definitions) {
      this.validators.set(`${d.type}.v${d.version}`, ajv.compile(d.schema));
      this.latest.set(d.type, Math.max(this.latest.get(d.type) ?? 0, d.version));
    }
  }

  currentVersion(type: string): number {
    const v = this.latest.get(type);
    if (v === undefined) throw new EventValidationError(`unknown event type ${type}`);
    return v;
  }

  /** Throws a one-line EventValidationError naming the type and the first problem. */
  validate(type: string, version: number, data: unknown): void {
    const validate = this.validators.get(`${type}.v${version}`);
    if (!validate) throw new EventValidationError(`unknown event type ${type} v${version}`);
    if (!validate(data)) {
      const e = validate.errors?.[0];
      throw new EventValidationError(
        `invalid ${type} v${version}: ${e?.instancePath || '(root)'} ${e?.message ?? 'is invalid'}${
          e?.params && 'additionalProperty' in e.params ? ` (${String(e.params.additionalProperty)})` : ''
        }`,
      );
    }
  }
}
