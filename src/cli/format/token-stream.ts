/**
 * The token cursor and error reporting shared by the parser, with Go's
 * three-token lookahead replaced by an index into the token list.
 */
import { invalidArgument } from '../../core/errors.js';
import { describeToken, type Token, type TokenType } from './tokens.js';

export abstract class TokenStream {
  protected index = 0;
  /** The latest token read; Go reports its line in parse errors. */
  private furthest = 0;
  /** Variables in scope; Go rejects undefined ones at parse time. */
  protected readonly vars: string[] = ['$'];
  /** The line of the action being parsed, for "unclosed action started at". */
  protected actionLine = 0;

  constructor(
    private readonly tokens: readonly Token[],
    protected readonly functions: ReadonlySet<string>,
  ) {}

  private tokenAt(index: number): Token {
    const token = this.tokens[Math.min(index, this.tokens.length - 1)];
    if (!token) throw new Error('the lexer always ends with an EOF or error token');
    return token;
  }

  protected next(): Token {
    this.furthest = Math.max(this.furthest, this.index);
    return this.tokenAt(this.index++);
  }

  protected peek(): Token {
    const token = this.next();
    this.index--;
    return token;
  }

  protected nextNonSpace(): Token {
    let token = this.next();
    while (token.type === 'space') token = this.next();
    return token;
  }

  protected peekNonSpace(): Token {
    const token = this.nextNonSpace();
    this.index--;
    return token;
  }

  protected fail(message: string): never {
    throw invalidArgument(`template: :${this.tokenAt(this.furthest).line}: ${message}`);
  }

  protected unexpected(token: Token, context: string): never {
    if (token.type !== 'error') this.fail(`unexpected ${describeToken(token)} in ${context}`);
    let extra = '';
    if (this.actionLine !== 0 && this.actionLine !== token.line) {
      extra = ` in action started at :${this.actionLine}`;
      // Avoid "unclosed action in action started at".
      if (token.value.endsWith(' action')) extra = extra.slice(' in action'.length);
    }
    this.fail(token.value + extra);
  }

  protected expect(type: TokenType, context: string): Token {
    const token = this.nextNonSpace();
    if (token.type !== type) this.unexpected(token, context);
    return token;
  }
}
