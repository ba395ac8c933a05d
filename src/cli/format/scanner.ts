/**
 * The cursor under the lexer: reads code points, cuts tokens from the input
 * and records Go's line numbers. Lexing stops at the first error token.
 */
import { hasRightTrimMarker, isSpace, type Token, type TokenType } from './tokens.js';

export abstract class Scanner {
  protected pos = 0;
  /** Where the token being scanned begins. */
  protected start = 0;
  protected done = false;
  private readonly tokens: Token[] = [];
  /** Newlines before `countedTo` are counted in `line`. */
  private countedTo = 0;
  private line = 1;

  constructor(protected readonly input: string) {}

  protected abstract scanText(): boolean;
  protected abstract scanAction(): boolean;

  run(): Token[] {
    let insideAction = false;
    while (!this.done) {
      insideAction = insideAction ? this.scanAction() : this.scanText();
    }
    return this.tokens;
  }

  protected emit(type: TokenType, value = this.input.slice(this.start, this.pos)): void {
    this.tokens.push({ type, pos: this.start, value, line: this.lineAt(this.start) });
    this.start = this.pos;
  }

  /** Tokens start at increasing offsets, so newlines are counted once, incrementally. */
  private lineAt(pos: number): number {
    if (pos < this.countedTo) {
      this.countedTo = 0;
      this.line = 1;
    }
    for (
      let i = this.input.indexOf('\n', this.countedTo);
      i >= 0 && i < pos;
      i = this.input.indexOf('\n', i + 1)
    ) {
      this.line++;
    }
    this.countedTo = pos;
    return this.line;
  }

  /** Emits an error token and stops; returns false so callers can `return this.fail(...)`. */
  protected fail(message: string): boolean {
    this.emit('error', message);
    this.done = true;
    return false;
  }

  protected peek(): string | undefined {
    const cp = this.input.codePointAt(this.pos);
    return cp === undefined ? undefined : String.fromCodePoint(cp);
  }

  protected next(): string | undefined {
    const char = this.peek();
    if (char !== undefined) this.pos += char.length;
    return char;
  }

  protected skipSpaces(): void {
    while (isSpace(this.input[this.pos])) this.pos++;
  }

  /** Whether the input continues with "}}" or " -}}", and whether that trims. */
  protected atRightDelim(): [delim: boolean, trim: boolean] {
    if (hasRightTrimMarker(this.input, this.pos) && this.input.startsWith('}}', this.pos + 2))
      return [true, true];
    return [this.input.startsWith('}}', this.pos), false];
  }
}
