/**
 * Go's string escaping rules: strconv.Quote for %q and error messages, and the
 * html, js and urlquery escapers of text/template.
 */

/** Go's unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space. */
const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

const SHORT_ESCAPES: Readonly<Record<string, string>> = {
  '\x07': '\\a',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\v': '\\v',
};

export function isPrintable(char: string): boolean {
  return PRINTABLE.test(char);
}

/** Go strings cannot hold lone surrogates; UTF-8 encoding turns them into U+FFFD. */
export function toWellFormed(s: string): string {
  return s.replace(LONE_SURROGATE, '\uFFFD');
}

function hex(value: number, digits: number): string {
  return value.toString(16).padStart(digits, '0');
}

function escapeChar(char: string, quote: string): string {
  if (char === quote || char === '\\') return '\\' + char;
  if (isPrintable(char)) return char;
  const short = SHORT_ESCAPES[char];
  if (short) return short;
  const cp = char.codePointAt(0) ?? 0;
  if (cp < 0x20 || cp === 0x7f) return '\\x' + hex(cp, 2);
  if (cp < 0x10000) return '\\u' + hex(cp, 4);
  return '\\U' + hex(cp, 8);
}

/** strconv.Quote: a double-quoted Go string literal. */
export function goQuote(s: string): string {
  let out = '"';
  for (const char of toWellFormed(s)) out += escapeChar(char, '"');
  return out + '"';
}

/** strconv.QuoteRune: a single-quoted Go character literal. */
export function goQuoteRune(codePoint: number): string {
  const valid = codePoint >= 0 && codePoint <= 0x10ffff && (codePoint < 0xd800 || codePoint > 0xdfff);
  return "'" + escapeChar(String.fromCodePoint(valid ? codePoint : 0xfffd), "'") + "'";
}

const HTML_ESCAPES: Readonly<Record<string, string>> = {
  '"': '&#34;',
  "'": '&#39;',
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '\0': '\uFFFD',
};

/** template.HTMLEscapeString. */
export function htmlEscape(s: string): string {
  return s.replace(/["'&<>\0]/g, (char) => HTML_ESCAPES[char] ?? char);
}

const JS_ESCAPES: Readonly<Record<string, string>> = {
  '\\': '\\\\',
  "'": "\\'",
  '"': '\\"',
  '<': '\\u003C',
  '>': '\\u003E',
  '&': '\\u0026',
  '=': '\\u003D',
};

/** template.JSEscapeString. */
export function jsEscape(s: string): string {
  let out = '';
  for (const char of toWellFormed(s)) {
    const cp = char.codePointAt(0) ?? 0;
    const special = JS_ESCAPES[char];
    if (special) out += special;
    else if (cp < 0x20) out += '\\u' + hex(cp, 4).toUpperCase();
    else if (cp < 0x80 || isPrintable(char)) out += char;
    else out += '\\u' + hex(cp, 4).toUpperCase();
  }
  return out;
}

/** url.QueryEscape: like encodeURIComponent, but Go also escapes !'()* and writes spaces as '+'. */
export function urlQueryEscape(s: string): string {
  return encodeURIComponent(toWellFormed(s))
    .replace(/[!'()*]/g, (char) => '%' + hex(char.charCodeAt(0), 2).toUpperCase())
    .replace(/%20/g, '+');
}
