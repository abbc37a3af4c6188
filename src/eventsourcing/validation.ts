import { Refusal } from '../domain/refusal.js';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { EventDefinition } from '../domain/events/catalogue.js';

// ajv-formats is CommonJS; its default export arrives wrapped under NodeNext resolution.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

/** Input the event schema refuses: the caller is told what, as "invalid input: …". */
export class EventValidationError extends Refusal {
  override readonly name = 'EventValidationError';
  constructor(message: string) {
    super('invalid_request', `invalid input: ${message}`, { message });
  }
}

/**
 * Validators for every (type, version) in the catalogue, each compiled the first time it is needed:
 * compiling them all costs a few hundred milliseconds of every start, most for types a given
 * process may not write for a while.
 */
export class EventCatalogue {
  private readonly validators = new Map<string, ValidateFunction>();
  private readonly schemas = new Map<string, EventDefinition['schema']>();
  private readonly latest = new Map<string, number>();
  private ajv?: Ajv;

  constructor(definitions: EventDefinition[]) {
    for (const d of definitions) {
      this.schemas.set(`${d.type}.v${d.version}`, d.schema);
      this.latest.set(d.type, Math.max(this.latest.get(d.type) ?? 0, d.version));
    }
  }

  /** Compiles every schema now (a test, or a check that wants every problem at once). */
  compileAll(): void {
    for (const key of this.schemas.keys()) this.validator(key);
  }

  private validator(key: string): ValidateFunction | undefined {
    let validate = this.validators.get(key);
    if (validate) return validate;
    const schema = this.schemas.get(key);
    if (!schema) return undefined;
    if (!this.ajv) {
      this.ajv = new Ajv({ allErrors: false, strict: true });
      addFormats(this.ajv);
    }
    validate = this.ajv.compile(schema);
    this.validators.set(key, validate);
    return validate;
  }

  currentVersion(type: string): number {
    const v = this.latest.get(type);
    if (v === undefined) throw new EventValidationError(`unknown event type ${type}`);
    return v;
  }

  /** Throws a one-line EventValidationError naming the type and the first problem. */
  validate(type: string, version: number, data: unknown): void {
    const validate = this.validator(`${type}.v${version}`);
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
