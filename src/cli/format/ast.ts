/**
 * The parse tree of a template, after Go's text/template/parse nodes. Every
 * node keeps its offset in the source for error messages, and describeNode
 * renders it back the way Go's Node.String does, for error context.
 */
import { goQuote } from './escape.js';
import { byteLength } from './values.js';

interface At {
  readonly pos: number;
}

export interface FieldNode extends At {
  readonly kind: 'field';
  readonly idents: readonly string[];
}
/** `$x.A.B`: the variable name comes first. */
export interface VariableNode extends At {
  readonly kind: 'variable';
  readonly idents: readonly string[];
}
export interface ChainNode extends At {
  readonly kind: 'chain';
  readonly node: ArgNode;
  readonly fields: readonly string[];
}
export interface IdentifierNode extends At {
  readonly kind: 'identifier';
  readonly name: string;
}
export interface LiteralNode extends At {
  readonly kind: 'dot' | 'nil' | 'bool' | 'number' | 'string';
  /** The literal as written, e.g. `"a\n"` or `0x1F`. */
  readonly text: string;
  readonly value: unknown;
  /** Whether a number literal fits an int parameter. */
  readonly isInt?: boolean;
}
export interface CommandNode extends At {
  readonly kind: 'command';
  readonly args: readonly ArgNode[];
}
export interface PipeNode extends At {
  readonly kind: 'pipe';
  readonly decl: readonly VariableNode[];
  /** `$x = ...` assigns; `$x := ...` declares. */
  readonly isAssign: boolean;
  readonly cmds: readonly CommandNode[];
}
export type ArgNode = FieldNode | VariableNode | ChainNode | IdentifierNode | LiteralNode | PipeNode;

export interface TextNode extends At {
  readonly kind: 'text';
  readonly text: string;
}
export interface ActionNode extends At {
  readonly kind: 'action';
  readonly pipe: PipeNode;
}
export interface BranchNode extends At {
  readonly kind: 'if' | 'range' | 'with';
  readonly pipe: PipeNode;
  readonly list: ListNode;
  readonly elseList?: ListNode;
}
export interface ControlNode extends At {
  readonly kind: 'break' | 'continue' | 'end' | 'else';
}
export interface ListNode extends At {
  readonly kind: 'list';
  readonly nodes: readonly Node[];
}
export type Node = TextNode | ActionNode | BranchNode | ControlNode | ListNode;
export type AnyNode = Node | ArgNode | CommandNode;

function describeArg(node: ArgNode): string {
  return node.kind === 'pipe' ? `(${describeNode(node)})` : describeNode(node);
}

function describePipe(pipe: PipeNode): string {
  const decl =
    pipe.decl.length === 0 ? '' : pipe.decl.map(describeNode).join(', ') + (pipe.isAssign ? ' = ' : ' := ');
  return decl + pipe.cmds.map(describeNode).join(' | ');
}

function describeBranch(node: BranchNode): string {
  const elsePart = node.elseList ? `{{else}}${describeNode(node.elseList)}` : '';
  return `{{${node.kind} ${describePipe(node.pipe)}}}${describeNode(node.list)}${elsePart}{{end}}`;
}

/** Go's Node.String(). */
export function describeNode(node: AnyNode): string {
  switch (node.kind) {
    case 'field':
      return node.idents.map((ident) => '.' + ident).join('');
    case 'variable':
      return node.idents.join('.');
    case 'chain':
      return describeArg(node.node) + node.fields.map((field) => '.' + field).join('');
    case 'identifier':
      return node.name;
    case 'dot':
    case 'nil':
    case 'bool':
    case 'number':
    case 'string':
      return node.text;
    case 'command':
      return node.args.map(describeArg).join(' ');
    case 'pipe':
      return describePipe(node);
    case 'text':
      return goQuote(node.text);
    case 'action':
      return `{{${describePipe(node.pipe)}}}`;
    case 'if':
    case 'range':
    case 'with':
      return describeBranch(node);
    case 'list':
      return node.nodes.map(describeNode).join('');
    default:
      return `{{${node.kind}}}`;
  }
}

/** Go's "line:column" of a node, the column counted in bytes as Go does. */
export function locate(source: string, node: AnyNode): string {
  const before = source.slice(0, node.pos);
  const lineStart = before.lastIndexOf('\n') + 1;
  return `:${before.split('\n').length}:${byteLength(before.slice(lineStart))}`;
}
