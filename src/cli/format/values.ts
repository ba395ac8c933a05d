/**
 * How template data map onto Go values. Data are JSON-like: objects act as
 * map[string]interface{}, arrays as []interface{}, integral numbers as int and
 * other numbers as float64. `undefined` is Go's invalid value (a missing map
 * key) and `null` is a nil interface.
 */
import { formatFloat } from './float.js';

export type GoMap = Record<string, unknown>;

export function isNil(value: unknown): value is null | undefined {
  return value === null || value === undefined;
}

export function isMap(value: unknown): value is GoMap {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Go ints are 64-bit; larger integral numbers can only be floats. */
const INT_LIMIT = 2 ** 63;

/** Whether a number stands for a Go int: integral and within int64. */
export function isInt(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && Math.abs(value) < INT_LIMIT;
}

/** Go sorts map keys when it ranges over or prints a map. */
export function sortedKeys(map: GoMap): string[] {
  return Object.keys(map)
    .filter((key) => map[key] !== undefined)
    .sort();
}

/** The Go type name used in error messages and by %T. */
/**
 * Names the Go struct type a map stands for (docker's formatter contexts):
 * a field it lacks fails as Go's "can't evaluate field X in type T".
 */
export const GO_TYPE: unique symbol = Symbol('goType');

export function typeName(value: unknown): string {
  if (isNil(value)) return '<nil>';
  if (Array.isArray(value)) return '[]interface {}';
  switch (typeof value) {
    case 'string':
      return 'string';
    case 'boolean':
      return 'bool';
    case 'number':
      return isInt(value) ? 'int' : 'float64';
    case 'bigint':
      return 'int64';
    case 'object':
      return 'map[string]interface {}';
    default:
      return typeof value;
  }
}

/** Go's template truth: false, 0, nil and empty strings, slices and maps are false. */
export function isTrue(value: unknown): boolean {
  if (isNil(value)) return false;
  if (Array.isArray(value)) return value.length > 0;
  switch (typeof value) {
    case 'boolean':
      return value;
    case 'number':
      return value !== 0;
    case 'bigint':
      return value !== 0n;
    case 'string':
      return value.length > 0;
    case 'object':
      return sortedKeys(value as GoMap).length > 0;
    default:
      return true;
  }
}

export function formatNumber(n: number): string {
  // BigInt keeps large integers out of exponent notation, as Go's int would.
  return isInt(n) ? BigInt(n).toString() : formatFloat(n, 'g', -1);
}

/** fmt's %v. */
export function formatValue(value: unknown): string {
  if (isNil(value)) return '<nil>';
  if (Array.isArray(value)) return '[' + value.map(formatValue).join(' ') + ']';
  if (isMap(value)) {
    const pairs = sortedKeys(value).map((key) => key + ':' + formatValue(value[key]));
    return 'map[' + pairs.join(' ') + ']';
  }
  if (typeof value === 'number') return formatNumber(value);
  return String(value);
}

export function utf8Bytes(s: string): Buffer {
  return Buffer.from(s, 'utf8');
}

/** Go's len of a string counts bytes. */
export function byteLength(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

export function runeCount(s: string): number {
  let count = 0;
  for (const _ of s) count++;
  return count;
}
