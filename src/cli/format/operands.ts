/**
 * Parses pipelines, commands and operands, after Go's text/template/parse:
 * declarations, `|` chains, field chains, literals and parenthesized pipelines.
 */
import type { ArgNode, CommandNode, LiteralNode, PipeNode, VariableNode } from './ast.js';
import { describeNode } from './ast.js';
import { goQuote } from './escape.js';
import { isComplexLiteral, parseNumber, unquoteChar, unquoteString } from './literals.js';
import { TokenStream } from './token-stream.js';
import type { Token, TokenType } from './tokens.js';

const COMMAND_STARTS = new Set<TokenType>([
  'bool',
  'charConstant',
  'field',
  'identifier',
  'number',
  'rawString',
  'string',
  'variable',
  'leftParen',
]);
const NON_EXECUTABLE = new Set(['bool', 'dot', 'nil', 'number', 'string']);

function startsCommand(token: Token): boolean {
  return (
    COMMAND_STARTS.has(token.type) ||
    (token.type === 'keyword' && (token.value === '.' || token.value === 'nil'))
  );
}

export abstract class OperandParser extends TokenStream {
  protected pipeline(context: string, end: 'rightDelim' | 'rightParen'): PipeNode {
    const pos = this.peekNonSpace().pos;
    const decl: VariableNode[] = [];
    const isAssign = this.declarations(context, decl);
    const cmds: CommandNode[] = [];
    for (;;) {
      const token = this.nextNonSpace();
      if (token.type === end) {
        const pipe: PipeNode = { kind: 'pipe', pos, decl, isAssign, cmds };
        this.checkPipeline(pipe, context);
        return pipe;
      }
      if (!startsCommand(token)) this.unexpected(token, context);
      this.index--;
      cmds.push(this.command());
    }
  }

  /** Reads `$x :=`, `$x =` or, in range, `$i, $v :=`; returns whether it is an assignment. */
  private declarations(context: string, decl: VariableNode[]): boolean {
    for (;;) {
      const variable = this.peekNonSpace();
      if (variable.type !== 'variable') return false;
      const mark = this.index;
      this.next();
      const next = this.peekNonSpace();
      const isDecl = next.type === 'assign' || next.type === 'declare';
      const isComma = next.type === 'char' && next.value === ',';
      if (!isDecl && !isComma) {
        this.index = mark;
        return false;
      }
      this.nextNonSpace();
      decl.push({ kind: 'variable', pos: variable.pos, idents: [variable.value] });
      this.vars.push(variable.value);
      if (isDecl) return next.type === 'assign';
      if (context !== 'range' || decl.length >= 2) this.fail(`too many declarations in ${context}`);
      if (!['variable', 'rightDelim', 'rightParen'].includes(this.peekNonSpace().type)) {
        this.fail('range can only initialize variables');
      }
    }
  }

  private checkPipeline(pipe: PipeNode, context: string): void {
    if (pipe.cmds.length === 0) this.fail(`missing value for ${context}`);
    pipe.cmds.slice(1).forEach((cmd, i) => {
      const first = cmd.args[0];
      if (first && NON_EXECUTABLE.has(first.kind)) {
        this.fail(`non executable command in pipeline stage ${i + 2}`);
      }
    });
  }

  private command(): CommandNode {
    const pos = this.peekNonSpace().pos;
    const args: ArgNode[] = [];
    for (;;) {
      this.peekNonSpace();
      const operand = this.operand();
      if (operand) args.push(operand);
      const token = this.next();
      if (token.type === 'space') continue;
      if (token.type === 'rightDelim' || token.type === 'rightParen') this.index--;
      else if (token.type !== 'pipe') this.unexpected(token, 'operand');
      break;
    }
    if (args.length === 0) this.fail('empty command');
    return { kind: 'command', pos, args };
  }

  /** A term followed by field accesses, e.g. `$x.A.B` or `(index . 0).Name`. */
  private operand(): ArgNode | undefined {
    const node = this.term();
    if (!node || this.peek().type !== 'field') return node;
    const pos = this.peek().pos;
    const fields: string[] = [];
    while (this.peek().type === 'field') fields.push(this.next().value.slice(1));
    switch (node.kind) {
      case 'field':
      case 'variable':
        return { kind: node.kind, pos, idents: [...node.idents, ...fields] };
      case 'identifier':
      case 'pipe':
      case 'chain':
        return { kind: 'chain', pos, node, fields };
      default:
        this.fail(`unexpected . after term ${goQuote(describeNode(node))}`);
    }
  }

  private term(): ArgNode | undefined {
    const token = this.nextNonSpace();
    switch (token.type) {
      case 'identifier':
        if (!this.functions.has(token.value)) this.fail(`function ${goQuote(token.value)} not defined`);
        return { kind: 'identifier', pos: token.pos, name: token.value };
      case 'variable':
        if (!this.vars.includes(token.value)) this.fail(`undefined variable ${goQuote(token.value)}`);
        return { kind: 'variable', pos: token.pos, idents: [token.value] };
      case 'field':
        return { kind: 'field', pos: token.pos, idents: [token.value.slice(1)] };
      case 'leftParen':
        return this.pipeline('parenthesized pipeline', 'rightParen');
      case 'keyword':
        if (token.value === '.') return this.literal(token, 'dot', undefined);
        if (token.value === 'nil') return this.literal(token, 'nil', null);
        break;
      case 'bool':
        return this.literal(token, 'bool', token.value === 'true');
      case 'number':
      case 'charConstant':
        return this.numberLiteral(token);
      case 'string':
      case 'rawString': {
        const text = this.attempt(() => unquoteString(token.value));
        return this.literal(token, 'string', text);
      }
    }
    this.index--;
    return undefined;
  }

  private literal(token: Token, kind: LiteralNode['kind'], value: unknown, isInt?: boolean): LiteralNode {
    return { kind, pos: token.pos, text: token.value, value, isInt };
  }

  private numberLiteral(token: Token): LiteralNode {
    if (token.type === 'charConstant') {
      const codePoint = this.attempt(() => unquoteChar(token.value));
      return this.literal(token, 'number', codePoint, true);
    }
    if (isComplexLiteral(token.value)) this.fail(`complex constant ${token.value} is not supported`);
    const value = parseNumber(token.value);
    if (value === undefined) this.fail(`illegal number syntax: ${goQuote(token.value)}`);
    return this.literal(token, 'number', value, Number.isInteger(value));
  }

  /** Turns a literal decoding error into a parse error. */
  private attempt<T>(decode: () => T): T {
    try {
      return decode();
    } catch (err) {
      this.fail(err instanceof Error ? err.message : String(err));
    }
  }
}
