/**
 * The functions docker's CLI adds to every template (cli/templates), and the
 * stand-ins it uses while rendering a table header, which leave the column
 * titles intact.
 */
import { toWellFormed } from './escape.js';
import { asInt, asString, asStrings, CallError, defineFunction, type FunctionMap } from './functions.js';
import { utf8Bytes } from './values.js';

class UnsupportedJsonValue extends Error {}

/**
 * A value that writes its own JSON, as Go types with a MarshalJSON method do
 * (docker's table rows, whose JSON is HTML-escaped with sorted keys).
 */
export const GO_MARSHAL_JSON: unique symbol = Symbol('goMarshalJSON');

/** A value carrying its own JSON text. */
export interface GoJsonMarshaler {
  [GO_MARSHAL_JSON](): string;
}

function isMarshaler(value: unknown): value is GoJsonMarshaler {
  return typeof value === 'object' && value !== null && GO_MARSHAL_JSON in value;
}

/**
 * docker's json: encoding/json with HTML escaping off and no trailing newline.
 * Object keys keep their insertion order, so callers control it as Go's
 * struct field order does. Values Go cannot encode (NaN, Infinity) print as
 * nothing, since docker ignores the encoder's error.
 */
export function goJson(value: unknown): string {
  if (isMarshaler(value)) return value[GO_MARSHAL_JSON]();
  try {
    const text = JSON.stringify(value ?? null, (_key, item: unknown) => {
      if (typeof item === 'string') return toWellFormed(item);
      if (typeof item === 'number' && !Number.isFinite(item)) throw new UnsupportedJsonValue();
      return typeof item === 'bigint' ? Number(item) : item;
    });
    // Go escapes the JavaScript line terminators even with HTML escaping off.
    return (text ?? 'null').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
  } catch (err) {
    if (err instanceof UnsupportedJsonValue) return '';
    throw err;
  }
}

/** Maps each code point, keeping it when the mapping would change the length (Go maps runes one to one). */
function mapRunes(s: string, map: (char: string) => string): string {
  let out = '';
  for (const char of s) {
    const mapped = map(char);
    out += Array.from(mapped).length === 1 ? mapped : char;
  }
  return out;
}

/** strings.Title's word boundaries: ASCII other than letters, digits and '_', or Unicode spaces. */
function isWordSeparator(char: string): boolean {
  if (char.charCodeAt(0) < 0x80) return !/[0-9A-Za-z_]/.test(char);
  if (/[\p{L}\p{Nd}]/u.test(char)) return false;
  return /\s/u.test(char);
}

/** strings.Title: upper-cases the first letter of every word. */
export function title(s: string): string {
  let previous = ' ';
  return mapRunes(s, (char) => {
    const mapped = isWordSeparator(previous) ? char.toUpperCase() : char;
    previous = char;
    return mapped;
  });
}

function split(s: string, separator: string): string[] {
  // strings.Split with an empty separator splits after each UTF-8 sequence.
  return separator === '' ? Array.from(s) : s.split(separator);
}

/** pad adds spaces around a non-empty string. */
function pad(s: string, before: number, after: number): string {
  if (s === '') return s;
  if (before < 0 || after < 0) throw new CallError('strings: negative Repeat count');
  return ' '.repeat(before) + s + ' '.repeat(after);
}

/** truncate keeps the first `length` bytes, as Go's source[:length] does. */
function truncate(s: string, length: number): string {
  const bytes = utf8Bytes(s);
  if (bytes.length < length) return s;
  if (length < 0) throw new CallError(`runtime error: slice bounds out of range [:${length}]`);
  return bytes.subarray(0, length).toString('utf8');
}

export const DOCKER_FUNCTIONS: FunctionMap = {
  json: defineFunction(['any'], goJson),
  split: defineFunction(['string', 'string'], (s, sep) => split(asString(s), asString(sep))),
  join: defineFunction(['strings', 'string'], (items, sep) => asStrings(items).join(asString(sep))),
  title: defineFunction(['string'], (s) => title(asString(s))),
  lower: defineFunction(['string'], (s) => mapRunes(asString(s), (char) => char.toLowerCase())),
  upper: defineFunction(['string'], (s) => mapRunes(asString(s), (char) => char.toUpperCase())),
  pad: defineFunction(['string', 'int', 'int'], (s, before, after) =>
    pad(asString(s), asInt(before), asInt(after)),
  ),
  truncate: defineFunction(['string', 'int'], (s, length) => truncate(asString(s), asInt(length))),
};

const keepFirst = (value: unknown) => value;

/** docker's HeaderFunctions: while rendering the header row these return the column title unchanged. */
export const HEADER_FUNCTIONS: FunctionMap = {
  json: defineFunction(['string'], keepFirst),
  split: defineFunction(['string', 'string'], keepFirst),
  join: defineFunction(['string', 'string'], keepFirst),
  title: defineFunction(['string'], keepFirst),
  lower: defineFunction(['string'], keepFirst),
  upper: defineFunction(['string'], keepFirst),
  truncate: defineFunction(['string', 'int'], keepFirst),
};
