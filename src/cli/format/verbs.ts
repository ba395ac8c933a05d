/**
 * How fmt formats one operand for a verb: strings, integers, floats,
 * booleans, and slices and maps element by element, with Go's %!verb(type=value)
 * for mismatches. Unlike Go, %x on floats is not supported.
 */
import { goQuote, goQuoteRune, isPrintable } from './escape.js';
import { type FloatVerb, formatFloat } from './float.js';
import { isInt, isMap, isNil, runeCount, sortedKeys, typeName, utf8Bytes } from './values.js';

export interface Spec {
  minus: boolean;
  plus: boolean;
  sharp: boolean;
  space: boolean;
  zero: boolean;
  width?: number;
  precision?: number;
  verb: string;
}

/** strconv.CanBackquote: no backquote and no control character but tab. */
const CAN_BACKQUOTE = /^[^`\x00-\x08\x0a-\x1f\x7f\ufeff]*$/;
const FLOAT_VERBS: Readonly<Record<string, FloatVerb>> = {
  e: 'e',
  E: 'E',
  f: 'f',
  F: 'F',
  g: 'g',
  G: 'G',
  v: 'g',
};
const INTEGER_BASES: Readonly<Record<string, number>> = { d: 10, v: 10, b: 2, o: 8, O: 8, x: 16, X: 16 };

/** Pads to the width in runes; zeros go after any sign. */
function pad(text: string, spec: Spec, numeric = false): string {
  const missing = (spec.width ?? 0) - runeCount(text);
  if (missing <= 0) return text;
  if (spec.minus) return text + ' '.repeat(missing);
  if (!spec.zero) return ' '.repeat(missing) + text;
  const sign = numeric && /^[-+ ]/.test(text) ? text.slice(0, 1) : '';
  return sign + '0'.repeat(missing) + text.slice(sign.length);
}

function truncateRunes(text: string, precision: number | undefined): string {
  return precision === undefined ? text : Array.from(text).slice(0, precision).join('');
}

function badVerb(arg: unknown, spec: Spec, nested: boolean): string {
  if (isNil(arg) && !nested) return `%!${spec.verb}(<nil>)`;
  return `%!${spec.verb}(${typeName(arg)}=${formatArg(arg, { ...spec, verb: 'v' }, nested)})`;
}

function signOf(negative: boolean, spec: Spec): string {
  if (negative) return '-';
  if (spec.plus) return '+';
  return spec.space ? ' ' : '';
}

function formatInteger(n: number, spec: Spec): string {
  const base = INTEGER_BASES[spec.verb] ?? 10;
  let digits = BigInt(Math.abs(n)).toString(base);
  if (spec.verb === 'X') digits = digits.toUpperCase();
  const sign = signOf(n < 0, spec);
  if (spec.precision !== undefined) {
    digits = spec.precision === 0 && n === 0 ? '' : digits.padStart(spec.precision, '0');
  } else if (spec.zero && !spec.minus && spec.width !== undefined) {
    digits = digits.padStart(spec.width - sign.length, '0');
  }
  let prefix = '';
  if (spec.verb === 'O' || (spec.sharp && base === 8 && !digits.startsWith('0')))
    prefix = spec.verb === 'O' ? '0o' : '0';
  if (spec.sharp && base === 16) prefix = spec.verb === 'X' ? '0X' : '0x';
  if (spec.sharp && base === 2) prefix = '0b';
  return pad(sign + prefix + digits, { ...spec, zero: false });
}

function hexUpper(n: number, digits: number): string {
  return n.toString(16).toUpperCase().padStart(digits, '0');
}

function formatCodePoint(n: number, spec: Spec): string {
  if (spec.verb === 'q') return pad(goQuoteRune(n), spec);
  if (spec.verb === 'U') {
    const code = 'U+' + hexUpper(n, spec.precision ?? 4);
    const char = String.fromCodePoint(n);
    return pad(spec.sharp && isPrintable(char) ? `${code} '${char}'` : code, spec);
  }
  const valid = n >= 0 && n <= 0x10ffff && (n < 0xd800 || n > 0xdfff);
  return pad(String.fromCodePoint(valid ? n : 0xfffd), spec);
}

function formatFloatArg(x: number, verb: FloatVerb, spec: Spec): string {
  const defaultPrecision = verb === 'g' || verb === 'G' ? -1 : 6;
  const body = formatFloat(x, verb, spec.precision ?? defaultPrecision);
  const signed = body.startsWith('-') || !Number.isFinite(x) ? body : signOf(false, spec) + body;
  return pad(signed, spec, Number.isFinite(x));
}

function formatNumberArg(n: number, spec: Spec, nested: boolean): string {
  const floatVerb = FLOAT_VERBS[spec.verb];
  // Integral data may stand for a Go float, so float verbs accept them too.
  if (floatVerb && (spec.verb !== 'v' || !isInt(n))) return formatFloatArg(n, floatVerb, spec);
  if (!isInt(n)) return badVerb(n, spec, nested);
  if (spec.verb in INTEGER_BASES) return formatInteger(n, spec);
  if (spec.verb === 'c' || spec.verb === 'q' || spec.verb === 'U') return formatCodePoint(n, spec);
  return badVerb(n, spec, nested);
}

function formatStringArg(s: string, spec: Spec, nested: boolean): string {
  switch (spec.verb) {
    case 'v':
    case 's':
      return pad(truncateRunes(s, spec.precision), spec);
    case 'q': {
      const text = truncateRunes(s, spec.precision);
      // %#q prefers a raw string literal when one can hold the text.
      return pad(spec.sharp && CAN_BACKQUOTE.test(text) ? '`' + text + '`' : goQuote(text), spec);
    }
    case 'x':
    case 'X': {
      const bytes = [...utf8Bytes(s).subarray(0, spec.precision)].map((b) => b.toString(16).padStart(2, '0'));
      const hex = bytes.join(spec.space ? ' ' : '');
      return pad(spec.verb === 'X' ? hex.toUpperCase() : hex, spec);
    }
    default:
      return badVerb(s, spec, nested);
  }
}

/** Formats one operand; `nested` marks elements of slices and maps, where fmt treats nil differently. */
export function formatArg(arg: unknown, spec: Spec, nested = false): string {
  if (spec.verb === 'T') return pad(typeName(arg), spec);
  if (isNil(arg)) {
    // Inside a slice or map fmt prints nil as a string; at the top only %v does.
    if (nested) return pad(truncateRunes('<nil>', spec.precision), spec);
    return spec.verb === 'v' ? pad('<nil>', spec) : badVerb(arg, spec, nested);
  }
  if (Array.isArray(arg)) return '[' + arg.map((item) => formatArg(item, spec, true)).join(' ') + ']';
  if (isMap(arg)) {
    const pairs = sortedKeys(arg).map((k) => formatArg(k, spec, true) + ':' + formatArg(arg[k], spec, true));
    return 'map[' + pairs.join(' ') + ']';
  }
  switch (typeof arg) {
    case 'string':
      return formatStringArg(arg, spec, nested);
    case 'number':
      return formatNumberArg(arg, spec, nested);
    case 'bigint':
      return formatNumberArg(Number(arg), spec, nested);
    case 'boolean':
      return spec.verb === 't' || spec.verb === 'v' ? pad(String(arg), spec) : badVerb(arg, spec, nested);
    default:
      return pad(String(arg), spec);
  }
}
