/**
 * Builds the parse tree from tokens, following Go's text/template/parse
 * grammar and error messages ("template: :LINE: ..."). Functions and
 * variables are checked here, as Go does, so typos fail before execution.
 */
import type { BranchNode, ControlNode, ListNode, Node } from './ast.js';
import { describeNode } from './ast.js';
import { OperandParser } from './operands.js';

/** {{end}} and {{else}} close the list being parsed. */
type Terminator = ControlNode & { readonly kind: 'end' | 'else' };

function isTerminator(node: Node): node is Terminator {
  return node.kind === 'end' || node.kind === 'else';
}

export class Parser extends OperandParser {
  private rangeDepth = 0;

  parse(): ListNode {
    const nodes: Node[] = [];
    while (this.peek().type !== 'eof') {
      const node = this.textOrAction();
      if (isTerminator(node)) this.fail(`unexpected ${describeNode(node)}`);
      nodes.push(node);
    }
    return { kind: 'list', pos: 0, nodes };
  }

  private textOrAction(): Node {
    const token = this.nextNonSpace();
    if (token.type === 'text') return { kind: 'text', pos: token.pos, text: token.value };
    if (token.type !== 'leftDelim') this.unexpected(token, 'input');
    this.actionLine = token.line;
    try {
      return this.action();
    } finally {
      this.actionLine = 0;
    }
  }

  private action(): Node {
    const token = this.nextNonSpace();
    if (token.type === 'keyword') {
      switch (token.value) {
        case 'if':
        case 'range':
        case 'with':
          return this.branch(token.value);
        case 'else':
          return this.elseControl();
        case 'end':
          return { kind: 'end', pos: this.expect('rightDelim', 'end').pos };
        case 'break':
        case 'continue':
          return this.loopControl(token.value, token.pos);
        case 'block':
        case 'define':
        case 'template':
          this.fail(`{{${token.value}}} is not supported`);
      }
    }
    this.index--;
    return { kind: 'action', pos: this.peek().pos, pipe: this.pipeline('command', 'rightDelim') };
  }

  private elseControl(): ControlNode {
    const peek = this.peekNonSpace();
    // "{{else if ...}}" and "{{else with ...}}" read as {{else}}{{if ...}} sharing one {{end}}.
    if (peek.type === 'keyword' && (peek.value === 'if' || peek.value === 'with')) {
      return { kind: 'else', pos: peek.pos };
    }
    return { kind: 'else', pos: this.expect('rightDelim', 'else').pos };
  }

  private loopControl(kind: 'break' | 'continue', pos: number): ControlNode {
    const token = this.nextNonSpace();
    if (token.type !== 'rightDelim') this.unexpected(token, `{{${kind}}}`);
    if (this.rangeDepth === 0) this.fail(`{{${kind}}} outside {{range}}`);
    return { kind, pos };
  }

  private branch(kind: BranchNode['kind']): BranchNode {
    const varCount = this.vars.length;
    try {
      const pipe = this.pipeline(kind, 'rightDelim');
      if (kind === 'range') this.rangeDepth++;
      const [list, terminator] = this.itemList();
      if (kind === 'range') this.rangeDepth--;
      const elseList = terminator.kind === 'else' ? this.elseBranch(kind, terminator) : undefined;
      return { kind, pos: pipe.pos, pipe, list, elseList };
    } finally {
      this.vars.length = varCount;
    }
  }

  private elseBranch(kind: BranchNode['kind'], elseNode: ControlNode): ListNode {
    const peek = this.peek();
    if (peek.type === 'keyword' && peek.value === kind && kind !== 'range') {
      this.next();
      return { kind: 'list', pos: elseNode.pos, nodes: [this.branch(kind)] };
    }
    const [elseList, terminator] = this.itemList();
    if (terminator.kind !== 'end') this.fail(`expected end; found ${describeNode(terminator)}`);
    return elseList;
  }

  private itemList(): [ListNode, Terminator] {
    const nodes: Node[] = [];
    const pos = this.peekNonSpace().pos;
    while (this.peekNonSpace().type !== 'eof') {
      const node = this.textOrAction();
      if (isTerminator(node)) return [{ kind: 'list', pos, nodes }, node];
      nodes.push(node);
    }
    this.fail('unexpected EOF');
  }
}
