/**
 * Go's predefined template functions, except call. `and` and `or` are listed
 * for arity checks; the executor evaluates them lazily, as Go does.
 */
import { eq, ge, gt, le, lt, ne } from './compare.js';
import { htmlEscape, jsEscape, urlQueryEscape } from './escape.js';
import { asString, CallError, defineFunction, type FunctionMap } from './functions.js';
import { sprint, sprintf, sprintln } from './printf.js';
import { byteLength, isInt, isMap, isNil, isTrue, sortedKeys, typeName, utf8Bytes } from './values.js';

function length(item: unknown): number {
  if (item === undefined) throw new CallError('len of untyped nil');
  if (item === null) throw new CallError('len of nil pointer');
  if (typeof item === 'string') return byteLength(item);
  if (Array.isArray(item)) return item.length;
  if (isMap(item)) return sortedKeys(item).length;
  throw new CallError(`len of type ${typeName(item)}`);
}

/** Checks an index into a string or slice whose capacity is `cap`. */
function indexArg(index: unknown, cap: number): number {
  if (isNil(index)) throw new CallError('cannot index slice/array with nil');
  if (!isInt(index)) throw new CallError(`cannot index slice/array with type ${typeName(index)}`);
  if (index < 0 || index > cap) throw new CallError(`index out of range: ${index}`);
  return index;
}

function indexOnce(item: unknown, index: unknown): unknown {
  if (isNil(item)) throw new CallError('index of nil pointer');
  if (typeof item === 'string' || Array.isArray(item)) {
    const size = typeof item === 'string' ? byteLength(item) : item.length;
    const at = indexArg(index, size);
    // Go checks against the capacity first, so the length itself fails inside reflect.
    if (at === size)
      throw new CallError(`reflect: ${typeof item === 'string' ? 'string' : 'slice'} index out of range`);
    // Indexing a Go string yields a byte.
    return typeof item === 'string' ? utf8Bytes(item)[at] : item[at];
  }
  if (isMap(item)) {
    if (isNil(index)) throw new CallError('value is nil; should be of type string');
    if (typeof index !== 'string') throw new CallError(`value has type ${typeName(index)}; should be string`);
    // A missing key yields the zero value of interface{}: nil.
    return Object.hasOwn(item, index) ? (item[index] ?? null) : null;
  }
  throw new CallError(`can't index item of type ${typeName(item)}`);
}

function index(item: unknown, ...indexes: unknown[]): unknown {
  if (isNil(item)) throw new CallError('index of untyped nil');
  return indexes.reduce(indexOnce, item);
}

function slice(item: unknown, ...indexes: unknown[]): unknown {
  if (isNil(item)) throw new CallError('slice of untyped nil');
  if (indexes.length > 3) throw new CallError(`too many slice indexes: ${indexes.length}`);
  if (typeof item === 'string' && indexes.length === 3) throw new CallError('cannot 3-index slice a string');
  if (typeof item !== 'string' && !Array.isArray(item)) {
    throw new CallError(`can't slice item of type ${typeName(item)}`);
  }
  const size = typeof item === 'string' ? byteLength(item) : item.length;
  const bounds = [0, size, size].map((fallback, i) =>
    i < indexes.length ? indexArg(indexes[i], size) : fallback,
  );
  const [low = 0, high = size, max = size] = bounds;
  if (low > high) throw new CallError(`invalid slice index: ${low} > ${high}`);
  if (high > max) throw new CallError(`invalid slice index: ${high} > ${max}`);
  return typeof item === 'string'
    ? utf8Bytes(item).subarray(low, high).toString('utf8')
    : item.slice(low, high);
}

/** The html, js and urlquery functions print their arguments unless given one string. */
function joinArgs(args: readonly unknown[]): string {
  const [first] = args;
  return args.length === 1 && typeof first === 'string' ? first : sprint(args);
}

export const BUILTIN_FUNCTIONS: FunctionMap = {
  and: defineFunction(['any'], (...args) => args.find((arg) => !isTrue(arg)) ?? args.at(-1), 'any'),
  or: defineFunction(['any'], (...args) => args.find(isTrue) ?? args.at(-1), 'any'),
  not: defineFunction(['any'], (arg) => !isTrue(arg)),
  len: defineFunction(['any'], length),
  index: defineFunction(['any'], index, 'any'),
  slice: defineFunction(['any'], slice, 'any'),
  print: defineFunction([], (...args) => sprint(args), 'any'),
  printf: defineFunction(['string'], (format, ...args) => sprintf(asString(format), args), 'any'),
  println: defineFunction([], (...args) => sprintln(args), 'any'),
  eq: defineFunction(['any'], eq, 'any'),
  ne: defineFunction(['any', 'any'], ne),
  lt: defineFunction(['any', 'any'], lt),
  le: defineFunction(['any', 'any'], le),
  gt: defineFunction(['any', 'any'], gt),
  ge: defineFunction(['any', 'any'], ge),
  html: defineFunction([], (...args) => htmlEscape(joinArgs(args)), 'any'),
  js: defineFunction([], (...args) => jsEscape(joinArgs(args)), 'any'),
  urlquery: defineFunction([], (...args) => urlQueryEscape(joinArgs(args)), 'any'),
};
