/** Token kinds and character classes of Go's text/template lexer. */
import { goQuote } from './escape.js';

export type TokenType =
  | 'error'
  | 'bool'
  | 'char'
  | 'charConstant'
  | 'assign'
  | 'declare'
  | 'eof'
  | 'field'
  | 'identifier'
  | 'leftDelim'
  | 'leftParen'
  | 'number'
  | 'pipe'
  | 'rawString'
  | 'rightDelim'
  | 'rightParen'
  | 'space'
  | 'string'
  | 'text'
  | 'variable'
  | 'keyword';

export interface Token {
  readonly type: TokenType;
  /** Offset of the token in the template text. */
  readonly pos: number;
  readonly value: string;
  readonly line: number;
}

export const KEYWORDS = new Set([
  '.',
  'block',
  'break',
  'continue',
  'define',
  'else',
  'end',
  'if',
  'range',
  'nil',
  'template',
  'with',
]);

/** How Go's parser names a token in "unexpected ..." messages. */
export function describeToken(token: Token): string {
  if (token.type === 'eof') return 'EOF';
  if (token.type === 'error') return token.value;
  if (token.type === 'keyword') return `<${token.value}>`;
  const chars = Array.from(token.value);
  return chars.length > 10 ? goQuote(chars.slice(0, 10).join('')) + '...' : goQuote(token.value);
}

/** Go's scanNumber: sign, base prefix, digits with underscores, fraction, exponent, imaginary suffix. */
export const NUMBER =
  /^[+-]?(?:0[xX][\d_a-fA-F]*(?:\.[\d_a-fA-F]*)?(?:[pP][+-]?[\d_]*)?|0[oO][0-7_]*|0[bB][01_]*|[\d_]*(?:\.[\d_]*)?(?:[eE][+-]?[\d_]*)?)i?/;

export const SINGLE_CHAR_TOKENS: Readonly<Record<string, TokenType>> = { '=': 'assign', '|': 'pipe' };

export function isSpace(char: string | undefined): boolean {
  return char === ' ' || char === '\t' || char === '\r' || char === '\n';
}

export function isAlphaNumeric(char: string | undefined): boolean {
  return char !== undefined && /^[\p{L}\p{Nd}_]$/u.test(char);
}

/** Text before a "{{- " loses its trailing spaces; text after " -}}" its leading ones. */
export function hasLeftTrimMarker(text: string, at: number): boolean {
  return text[at] === '-' && isSpace(text[at + 1]);
}

export function hasRightTrimMarker(text: string, at: number): boolean {
  return isSpace(text[at]) && text[at + 1] === '-';
}

export function describeRune(char: string): string {
  const code = 'U+' + (char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0');
  return /^\P{C}$/u.test(char) ? `${code} '${char}'` : code;
}
