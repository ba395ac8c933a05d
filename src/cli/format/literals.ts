/**
 * Go literal syntax inside actions: strconv.Unquote for "..." and `...`
 * strings and character constants, and the integer and float forms Go's
 * template parser accepts (0x1F, 0o17, 017, 0b101, 1_000, 1e3, .5).
 */

const SIMPLE_ESCAPES: Readonly<Record<string, number>> = {
  a: 7,
  b: 8,
  f: 12,
  n: 10,
  r: 13,
  t: 9,
  v: 11,
  '\\': 92,
};
const HEX_LENGTHS: Readonly<Record<string, number>> = { x: 2, u: 4, U: 8 };

/** One decoded character: a code point, or a raw byte from \x or octal escapes. */
interface Decoded {
  readonly value: number;
  readonly isByte: boolean;
  readonly length: number;
}

function invalidSyntax(): never {
  throw new SyntaxError('invalid syntax');
}

function isValidRune(value: number): boolean {
  return value <= 0x10ffff && (value < 0xd800 || value > 0xdfff);
}

function decodeEscape(body: string, at: number, quote: string): Decoded {
  const letter = body[at + 1] ?? '';
  const simple = SIMPLE_ESCAPES[letter];
  if (simple !== undefined) return { value: simple, isByte: false, length: 2 };
  if (letter === quote) return { value: quote.charCodeAt(0), isByte: false, length: 2 };
  const hexLength = HEX_LENGTHS[letter];
  if (hexLength !== undefined) {
    const digits = body.slice(at + 2, at + 2 + hexLength);
    if (!/^[0-9a-fA-F]+$/.test(digits) || digits.length !== hexLength) invalidSyntax();
    const value = Number.parseInt(digits, 16);
    if (letter !== 'x' && !isValidRune(value)) invalidSyntax();
    return { value, isByte: letter === 'x', length: 2 + hexLength };
  }
  const octal = body.slice(at + 1, at + 4);
  if (!/^[0-7]{3}$/.test(octal) || Number.parseInt(octal, 8) > 255) invalidSyntax();
  return { value: Number.parseInt(octal, 8), isByte: true, length: 4 };
}

function decodeChar(body: string, at: number, quote: string): Decoded {
  if (body[at] === '\\') return decodeEscape(body, at, quote);
  const value = body.codePointAt(at) ?? 0;
  if (String.fromCodePoint(value) === quote) invalidSyntax();
  return { value, isByte: false, length: value > 0xffff ? 2 : 1 };
}

/** strconv.Unquote for a quoted or raw string token; throws SyntaxError("invalid syntax"). */
export function unquoteString(text: string): string {
  // Go drops carriage returns from raw strings.
  if (text.startsWith('`')) return text.slice(1, -1).replace(/\r/g, '');
  const body = text.slice(1, -1);
  const bytes: number[] = [];
  for (let at = 0; at < body.length; ) {
    const char = decodeChar(body, at, '"');
    if (char.isByte) bytes.push(char.value);
    else bytes.push(...Buffer.from(String.fromCodePoint(char.value), 'utf8'));
    at += char.length;
  }
  return Buffer.from(bytes).toString('utf8');
}

/** The code point of a character constant such as 'a' or '\n'. */
export function unquoteChar(text: string): number {
  const char = decodeChar(text, 1, "'");
  if (text.slice(1 + char.length) !== "'") throw new SyntaxError(`malformed character constant: ${text}`);
  return char.value;
}

/** Hexadecimal floats such as 0x1p-2: a hex mantissa scaled by a power of two. */
function parseHexFloat(text: string): number | undefined {
  const match = /^0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?[pP]([+-]?\d+)$/.exec(text);
  if (!match) return undefined;
  const [, whole = '', fraction = '', exponent = '0'] = match;
  if (whole === '' && fraction === '') return undefined;
  const mantissa = Number.parseInt(whole + fraction || '0', 16);
  return mantissa * 2 ** (Number(exponent) - 4 * fraction.length);
}

function parseMagnitude(text: string): number | undefined {
  if (/[pP]/.test(text)) return parseHexFloat(text);
  if (/^0[xX][0-9a-fA-F]+$|^0[oO][0-7]+$|^0[bB][01]+$/.test(text)) return Number(text);
  // A leading zero means octal, as in Go's strconv.ParseInt with base 0.
  if (/^0[0-7]+$/.test(text)) return Number.parseInt(text, 8);
  if (/^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) return Number(text);
  return undefined;
}

/** A number literal's value, or undefined when Go would report illegal syntax. */
export function parseNumber(text: string): number | undefined {
  const clean = text.replace(/_/g, '');
  const magnitude = parseMagnitude(clean.replace(/^[+-]/, ''));
  if (magnitude === undefined) return undefined;
  return clean.startsWith('-') ? -magnitude : magnitude;
}

/** Imaginary and complex constants such as 2i or 1+2i, which Go accepts and this package does not. */
export function isComplexLiteral(text: string): boolean {
  if (!text.endsWith('i')) return false;
  const body = text.slice(0, -1);
  const sign = Math.max(body.lastIndexOf('+'), body.lastIndexOf('-'));
  const imaginary = sign > 0 && !/[eEpP]/.test(body[sign - 1] ?? '') ? body.slice(sign) : body;
  const real = body.slice(0, body.length - imaginary.length);
  return parseNumber(imaginary) !== undefined && (real === '' || parseNumber(real) !== undefined);
}
