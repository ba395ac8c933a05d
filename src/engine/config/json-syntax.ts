/**
 * Locates the first JSON syntax error in a text, so a broken daemon.json can
 * be reported by line and column. Only used after JSON.parse has failed,
 * because JSON.parse itself does not expose the position.
 */

export interface JsonSyntaxError {
  /** Offset of the offending character (the text's length at an unexpected end). */
  offset: number;
  reason: string;
}

class SyntaxFound {
  constructor(readonly error: JsonSyntaxError) {}
}

const LITERALS = ['true', 'false', 'null'];
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const ESCAPE = /\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4})/y;

/** Returns the first syntax error in `text`, or undefined if it is valid JSON. */
export function findJsonSyntaxError(text: string): JsonSyntaxError | undefined {
  const scanner = new Scanner(text);
  try {
    scanner.value();
    scanner.skipSpace();
    if (scanner.pos < text.length) scanner.fail('unexpected content after the top-level value');
    return undefined;
  } catch (err) {
    if (err instanceof SyntaxFound) return err.error;
    // Only absurdly deep nesting gets here (the stack ran out).
    return { offset: scanner.pos, reason: 'nesting too deep' };
  }
}

/** 1-based line and column of `offset`. */
export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const lineStart = before.lastIndexOf('\n') + 1;
  return { line: before.split('\n').length, column: offset - lineStart + 1 };
}

class Scanner {
  pos = 0;

  constructor(private readonly text: string) {}

  fail(reason: string): never {
    const found = this.pos >= this.text.length ? 'unexpected end of file' : reason;
    throw new SyntaxFound({ offset: this.pos, reason: found });
  }

  skipSpace(): void {
    while (/[ \t\n\r]/.test(this.text.charAt(this.pos))) this.pos++;
  }

  value(): void {
    this.skipSpace();
    const c = this.text.charAt(this.pos);
    if (c === '{') this.container('}', () => this.member());
    else if (c === '[') this.container(']', () => this.value());
    else if (c === '"') this.string();
    else if (c === '-' || (c >= '0' && c <= '9')) this.match(NUMBER, 'invalid number');
    else this.literal(c);
  }

  private literal(c: string): void {
    const literal = LITERALS.find((word) => this.text.startsWith(word, this.pos));
    if (literal === undefined) this.fail(`unexpected character ${JSON.stringify(c)}; expected a value`);
    this.pos += literal.length;
  }

  private member(): void {
    this.skipSpace();
    if (this.text.charAt(this.pos) !== '"') this.fail('expected a property name in double quotes');
    this.string();
    this.skipSpace();
    if (this.text.charAt(this.pos) !== ':') this.fail("expected ':' after the property name");
    this.pos++;
    this.value();
  }

  // Objects and arrays: items separated by commas, no trailing comma.
  private container(close: string, item: () => void): void {
    this.pos++;
    this.skipSpace();
    if (this.text.charAt(this.pos) === close) {
      this.pos++;
      return;
    }
    for (;;) {
      item();
      this.skipSpace();
      const c = this.text.charAt(this.pos);
      this.pos++;
      if (c === close) return;
      if (c !== ',') {
        this.pos--;
        this.fail(`expected ',' or '${close}'`);
      }
      this.skipSpace();
      if (this.text.charAt(this.pos) === close) this.fail(`trailing comma before '${close}'`);
    }
  }

  private string(): void {
    this.pos++;
    for (;;) {
      const c = this.text.charAt(this.pos);
      if (c === '"') {
        this.pos++;
        return;
      }
      if (c === '\\') this.match(ESCAPE, 'invalid escape sequence in string');
      else if (c === '' || c < ' ') this.fail('unterminated string or control character in string');
      else this.pos++;
    }
  }

  private match(pattern: RegExp, reason: string): void {
    pattern.lastIndex = this.pos;
    if (!pattern.test(this.text)) this.fail(reason);
    this.pos = pattern.lastIndex;
  }
}
