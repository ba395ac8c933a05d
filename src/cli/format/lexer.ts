/**
 * Splits a template into tokens the way Go's text/template/parse lexer does,
 * including trim markers ({{- and -}}), comments and Go's error messages.
 * Lexing stops at the first error, which becomes the last token.
 */
import { goQuote } from './escape.js';
import { Scanner } from './scanner.js';
import {
  describeRune,
  hasLeftTrimMarker,
  hasRightTrimMarker,
  isAlphaNumeric,
  isSpace,
  KEYWORDS,
  NUMBER,
  SINGLE_CHAR_TOKENS,
  type Token,
  type TokenType,
} from './tokens.js';

export class Lexer extends Scanner {
  private parenDepth = 0;

  /** Returns whether the lexer is now inside an action. */
  protected scanText(): boolean {
    const delim = this.input.indexOf('{{', this.pos);
    if (delim < 0) {
      this.pos = this.input.length;
      if (this.pos > this.start) this.emit('text');
      this.emit('eof', '');
      this.done = true;
      return false;
    }
    let end = delim;
    if (hasLeftTrimMarker(this.input, delim + 2)) {
      while (end > this.start && isSpace(this.input[end - 1])) end--;
    }
    if (end > this.start) {
      this.pos = end;
      this.emit('text');
    }
    this.pos = delim;
    this.start = delim;
    return this.lexLeftDelim();
  }

  private lexLeftDelim(): boolean {
    this.pos += 2;
    const afterMarker = hasLeftTrimMarker(this.input, this.pos) ? 2 : 0;
    if (this.input.startsWith('/*', this.pos + afterMarker)) {
      this.pos += afterMarker;
      this.start = this.pos;
      return this.lexComment();
    }
    this.emit('leftDelim');
    this.pos += afterMarker;
    this.start = this.pos;
    this.parenDepth = 0;
    return true;
  }

  private lexComment(): boolean {
    const close = this.input.indexOf('*/', this.pos + 2);
    if (close < 0) return this.fail('unclosed comment');
    this.pos = close + 2;
    const [delim, trim] = this.atRightDelim();
    if (!delim) return this.fail('comment ends before closing delimiter');
    this.pos += (trim ? 2 : 0) + 2;
    if (trim) this.skipSpaces();
    this.start = this.pos;
    return false;
  }

  private lexRightDelim(): boolean {
    const [, trim] = this.atRightDelim();
    if (trim) {
      this.pos += 2;
      this.start = this.pos;
    }
    this.pos += 2;
    this.emit('rightDelim');
    if (trim) {
      this.skipSpaces();
      this.start = this.pos;
    }
    return false;
  }

  /** Scans one token inside an action; returns whether the action goes on. */
  protected scanAction(): boolean {
    const [delim] = this.atRightDelim();
    if (delim) return this.parenDepth === 0 ? this.lexRightDelim() : this.fail('unclosed left paren');
    const char = this.next();
    if (char === undefined) return this.fail('unclosed action');
    if (isSpace(char)) return this.lexSpace();
    const type = SINGLE_CHAR_TOKENS[char];
    if (type) {
      this.emit(type);
      return true;
    }
    return this.lexOperator(char);
  }

  private lexOperator(char: string): boolean {
    switch (char) {
      case ':':
        if (this.next() !== '=') return this.fail('expected :=');
        this.emit('declare');
        return true;
      case '"':
        return this.lexQuote('"', 'string', 'unterminated quoted string');
      case "'":
        return this.lexQuote("'", 'charConstant', 'unterminated character constant');
      case '`':
        return this.lexRawQuote();
      case '$':
        return this.lexFieldOrVariable('variable');
      case '(':
        this.parenDepth++;
        this.emit('leftParen');
        return true;
      case ')':
        if (--this.parenDepth < 0) return this.fail('unexpected right paren');
        this.emit('rightParen');
        return true;
    }
    return this.lexOperand(char);
  }

  private lexOperand(char: string): boolean {
    const following = this.input[this.pos];
    if (char === '.' && (following === undefined || following < '0' || following > '9')) {
      return this.lexFieldOrVariable('field');
    }
    if (char === '.' || char === '+' || char === '-' || (char >= '0' && char <= '9')) {
      this.pos = this.start;
      return this.lexNumber();
    }
    if (isAlphaNumeric(char)) return this.lexIdentifier();
    if (char.length === 1 && char >= ' ' && char <= '~') {
      this.emit('char');
      return true;
    }
    return this.fail(`unrecognized character in action: ${describeRune(char)}`);
  }

  private lexSpace(): boolean {
    let spaces = 1;
    while (isSpace(this.peek())) {
      this.pos++;
      spaces++;
    }
    // A space may belong to a " -}}" that closes the action.
    if (hasRightTrimMarker(this.input, this.pos - 1) && this.input.startsWith('}}', this.pos + 1)) {
      this.pos--;
      if (spaces === 1) return this.lexRightDelim();
    }
    this.emit('space');
    return true;
  }

  /** Go allows ".X.Y" to end only where another token can begin. */
  private atTerminator(): boolean {
    const char = this.peek();
    return char === undefined || isSpace(char) || '.,|:)(}'.includes(char);
  }

  private badCharacter(): boolean {
    return this.fail(`bad character ${describeRune(this.peek() ?? '')}`);
  }

  private lexIdentifier(): boolean {
    while (isAlphaNumeric(this.peek())) this.next();
    if (!this.atTerminator()) return this.badCharacter();
    const word = this.input.slice(this.start, this.pos);
    if (KEYWORDS.has(word)) this.emit('keyword');
    else if (word === 'true' || word === 'false') this.emit('bool');
    else this.emit('identifier');
    return true;
  }

  private lexFieldOrVariable(type: 'field' | 'variable'): boolean {
    if (this.atTerminator()) {
      this.emit(type === 'variable' ? 'variable' : 'keyword');
      return true;
    }
    while (isAlphaNumeric(this.peek())) this.next();
    if (!this.atTerminator()) return this.badCharacter();
    this.emit(type);
    return true;
  }

  private lexQuote(quote: string, type: TokenType, unterminated: string): boolean {
    for (;;) {
      let char = this.next();
      // After a backslash any character but a newline is part of the literal.
      if (char === '\\') char = this.next() === '\n' ? undefined : '';
      if (char === undefined || char === '\n') return this.fail(unterminated);
      if (char === quote) break;
    }
    this.emit(type);
    return true;
  }

  private lexRawQuote(): boolean {
    const close = this.input.indexOf('`', this.pos);
    if (close < 0) return this.fail('unterminated raw quoted string');
    this.pos = close + 1;
    this.emit('rawString');
    return true;
  }

  private scanNumber(): void {
    const match = NUMBER.exec(this.input.slice(this.pos));
    this.pos += match?.[0].length ?? 0;
  }

  private lexNumber(): boolean {
    this.scanNumber();
    if (isAlphaNumeric(this.peek())) {
      this.next();
      return this.fail(`bad number syntax: ${goQuote(this.input.slice(this.start, this.pos))}`);
    }
    const sign = this.peek();
    if (sign === '+' || sign === '-') {
      // Only a complex constant such as 1+2i may continue with a sign.
      this.scanNumber();
      if (!this.input.slice(this.start, this.pos).endsWith('i')) {
        return this.fail(`bad number syntax: ${goQuote(this.input.slice(this.start, this.pos))}`);
      }
    }
    this.emit('number');
    return true;
  }
}

export function lex(input: string): Token[] {
  return new Lexer(input).run();
}
