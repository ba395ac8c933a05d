/**
 * Type checks for daemon.json values. Each decoder takes the raw JSON value
 * and the key it was found under (for the error), and returns a typed value.
 */
import { ConfigValueError, describeValue } from './config-error.js';
import type { JsonValue } from './types.js';

export type Decoder<T> = (value: unknown, key: string) => T;

function expected(key: string, what: string, value: unknown): ConfigValueError {
  return new ConfigValueError(key, `expected ${what}, got ${describeValue(value)}`);
}

export const asString: Decoder<string> = (value, key) => {
  if (typeof value !== 'string') throw expected(key, 'a string', value);
  return value;
};

export const asBoolean: Decoder<boolean> = (value, key) => {
  if (typeof value !== 'boolean') throw expected(key, 'a boolean (true or false)', value);
  return value;
};

export const asInteger: Decoder<number> = (value, key) => {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw expected(key, 'an integer', value);
  return value;
};

/** An integer within [min, max]. */
export function integerIn(min: number, max = Number.MAX_SAFE_INTEGER): Decoder<number> {
  return (value, key) => {
    const n = asInteger(value, key);
    if (n < min || n > max) {
      const range = max === Number.MAX_SAFE_INTEGER ? `at least ${min}` : `between ${min} and ${max}`;
      throw new ConfigValueError(key, `${n} is out of range: must be ${range}`);
    }
    return n;
  };
}

/** One of a fixed set of strings. */
export function oneOf<T extends string>(choices: readonly T[]): Decoder<T> {
  return (value, key) => {
    const text = asString(value, key);
    const found = choices.find((choice) => choice === text);
    if (found === undefined) {
      throw new ConfigValueError(key, `invalid value "${text}": must be one of ${choices.join(', ')}`);
    }
    return found;
  };
}

/** A string checked by `check`, which throws an Error whose message is the reason. */
export function checkedString(check: (text: string) => void): Decoder<string> {
  return (value, key) => {
    const text = asString(value, key);
    because(key, () => check(text));
    return text;
  };
}

export function asArray(value: unknown, key: string): unknown[] {
  if (!Array.isArray(value)) throw expected(key, 'an array', value);
  return value;
}

/** An array whose items are decoded by `item`; errors name the index, e.g. dns[1]. */
export function listOf<T>(item: Decoder<T>): Decoder<T[]> {
  return (value, key) => asArray(value, key).map((entry, index) => item(entry, `${key}[${index}]`));
}

export const asStringList: Decoder<string[]> = listOf(asString);

export function asObject(value: unknown, key: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw expected(key, 'an object', value);
  }
  return Object.fromEntries(Object.entries(value));
}

/** An object whose values are decoded by `item`; errors name the entry, e.g. log-opts.max-size. */
export function mapOf<T>(item: Decoder<T>): Decoder<Record<string, T>> {
  return (value, key) => {
    const entries = Object.entries(asObject(value, key));
    return Object.fromEntries(entries.map(([name, entry]) => [name, item(entry, `${key}.${name}`)]));
  };
}

export const asStringMap: Decoder<Record<string, string>> = mapOf(asString);

/**
 * The fields of a struct-like object by their canonical names. Like Go's
 * encoding/json, names match case-insensitively; unlike it, an unknown field
 * is an error, because it is almost always a typo.
 */
export function structFields(
  value: unknown,
  key: string,
  fields: readonly string[],
): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const [name, entry] of Object.entries(asObject(value, key))) {
    const canonical = fields.find((field) => field.toLowerCase() === name.toLowerCase());
    if (canonical === undefined) {
      throw new ConfigValueError(`${key}.${name}`, `unknown field; expected one of ${fields.join(', ')}`);
    }
    result[canonical] = entry;
  }
  return result;
}

/** Any JSON value, kept as is (for directives whose content another component validates). */
export const asJson: Decoder<JsonValue> = (value, key) => {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return value;
  if (Array.isArray(value)) return value.map((entry, index) => asJson(entry, `${key}[${index}]`));
  return mapOf(asJson)(value, key);
};

/** Runs a check that throws a plain Error, re-throwing its message as the reason for `key`. */
export function because<T>(key: string, check: () => T): T {
  try {
    return check();
  } catch (err) {
    if (err instanceof ConfigValueError) throw err;
    throw new ConfigValueError(key, err instanceof Error ? err.message : String(err));
  }
}
