/**
 * Go's eq, ne, lt, le, gt and ge template functions. Unlike Go, integers and
 * floats compare freely, since JavaScript data cannot tell them apart.
 */
import { CallError } from './functions.js';
import { formatValue, isNil, typeName } from './values.js';

type Kind = 'nil' | 'bool' | 'number' | 'string' | 'other';

function kindOf(value: unknown): Kind {
  if (isNil(value)) return 'nil';
  switch (typeof value) {
    case 'boolean':
      return 'bool';
    case 'number':
    case 'bigint':
      return 'number';
    case 'string':
      return 'string';
    default:
      return 'other';
  }
}

function equalPair(a: unknown, b: unknown): boolean {
  const kindA = kindOf(a);
  const kindB = kindOf(b);
  if (kindA === 'other' || kindB === 'other') {
    if (kindA === 'nil' || kindB === 'nil') return false;
    const culprit = kindB === 'other' ? b : a;
    throw new CallError(`non-comparable type ${formatValue(culprit)}: ${typeName(culprit)}`);
  }
  if (kindA !== kindB) {
    if (kindA === 'nil' || kindB === 'nil') return false;
    throw new CallError('incompatible types for comparison');
  }
  return kindA === 'nil' || a === b;
}

/** eq arg1 arg2...: whether arg1 equals any of the others. */
export function eq(first: unknown, ...others: unknown[]): boolean {
  if (others.length === 0) throw new CallError('missing argument for comparison');
  return others.some((other) => equalPair(first, other));
}

export function ne(a: unknown, b: unknown): boolean {
  return !eq(a, b);
}

function isBasic(kind: Kind): boolean {
  return kind === 'bool' || kind === 'number' || kind === 'string';
}

export function lt(a: unknown, b: unknown): boolean {
  const kindA = kindOf(a);
  const kindB = kindOf(b);
  if (!isBasic(kindA) || !isBasic(kindB)) throw new CallError('invalid type for comparison');
  if (kindA !== kindB) throw new CallError('incompatible types for comparison');
  if (kindA === 'bool') throw new CallError('invalid type for comparison');
  return typeof a === 'string' ? a < String(b) : Number(a) < Number(b);
}

export function le(a: unknown, b: unknown): boolean {
  return lt(a, b) || eq(a, b);
}

export function gt(a: unknown, b: unknown): boolean {
  return !le(a, b);
}

export function ge(a: unknown, b: unknown): boolean {
  return !lt(a, b);
}
