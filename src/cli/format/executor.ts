/**
 * Walks a parsed template and writes its output: text, printed actions, and
 * the if, with and range control structures with break and continue.
 */
import type { ActionNode, BranchNode, ListNode, Node, PipeNode } from './ast.js';
import { describeNode } from './ast.js';
import { Evaluator, type ExecOptions } from './evaluator.js';
import type { FunctionMap } from './functions.js';
import { formatValue, isInt, isMap, isNil, isTrue, sortedKeys } from './values.js';

/** How a {{break}} or {{continue}} travels up to its range. */
type Signal = 'break' | 'continue' | undefined;

export class Execution extends Evaluator {
  private readonly output: string[] = [];

  constructor(source: string, functions: FunctionMap, options: ExecOptions = {}) {
    super(source, functions, options);
  }

  /** What has been written so far; after an error, the output up to it. */
  get text(): string {
    return this.output.join('');
  }

  run(root: ListNode, data: unknown): void {
    // Go's Execute(nil) runs with an invalid dot, whose fields print as "<no value>".
    const dot = data ?? undefined;
    this.vars.push({ name: '$', value: dot });
    this.walk(dot, root);
  }

  private walk(dot: unknown, node: Node): Signal {
    this.current = node;
    switch (node.kind) {
      case 'text':
        this.output.push(node.text);
        return undefined;
      case 'action':
        this.walkAction(dot, node);
        return undefined;
      case 'if':
      case 'with':
        return this.walkIfOrWith(dot, node);
      case 'range':
        return this.walkRange(dot, node);
      case 'list':
        for (const child of node.nodes) {
          const signal = this.walk(dot, child);
          if (signal) return signal;
        }
        return undefined;
      case 'break':
      case 'continue':
        return node.kind;
      default:
        this.fail(`unknown node: ${describeNode(node)}`);
    }
  }

  private walkAction(dot: unknown, node: ActionNode): void {
    const value = this.evalPipeline(dot, node.pipe);
    // Declarations such as {{$x := 1}} print nothing.
    if (node.pipe.decl.length > 0) return;
    this.current = node;
    this.output.push(isNil(value) ? '<no value>' : formatValue(value));
  }

  private walkIfOrWith(dot: unknown, node: BranchNode): Signal {
    const mark = this.vars.length;
    try {
      const value = this.evalPipeline(dot, node.pipe);
      if (isTrue(value)) return this.walk(node.kind === 'with' ? value : dot, node.list);
      return node.elseList ? this.walk(dot, node.elseList) : undefined;
    } finally {
      this.vars.length = mark;
    }
  }

  private walkRange(dot: unknown, node: BranchNode): Signal {
    this.current = node;
    const outer = this.vars.length;
    try {
      const value = this.evalPipeline(dot, node.pipe);
      const mark = this.vars.length;
      const entries = this.rangeEntries(value, node.pipe);
      if (entries.length === 0) return node.elseList ? this.walk(dot, node.elseList) : undefined;
      for (const [key, element] of entries) {
        this.bindRangeVariables(node.pipe, key, element);
        const signal = this.walk(element, node.list);
        this.vars.length = mark;
        if (signal === 'break') break;
      }
      return undefined;
    } finally {
      this.vars.length = outer;
    }
  }

  /** Index or key with element; maps go in sorted key order, as Go ranges over them. */
  private rangeEntries(value: unknown, pipe: PipeNode): [unknown, unknown][] {
    if (isNil(value)) return [];
    if (Array.isArray(value)) return value.map((element, i) => [i, element]);
    if (isMap(value)) return sortedKeys(value).map((key) => [key, value[key]]);
    if (isInt(value)) {
      if (pipe.decl.length > 1) this.fail(`can't use ${value} to iterate over more than one variable`);
      return Array.from({ length: Math.max(value, 0) }, (_, i) => [i, i]);
    }
    this.fail(`range can't iterate over ${formatValue(value)}`);
  }

  /** `range $v := ...` binds the element; `range $i, $v := ...` binds index and element. */
  private bindRangeVariables(pipe: PipeNode, key: unknown, element: unknown): void {
    const [first, second] = pipe.decl.map((variable) => variable.idents[0] ?? '$');
    if (first === undefined) return;
    if (pipe.isAssign) {
      this.setVar(first, second === undefined ? element : key);
      if (second !== undefined) this.setVar(second, element);
      return;
    }
    const top = this.vars.length - 1;
    const elementVar = this.vars[top];
    if (elementVar) elementVar.value = element;
    const keyVar = this.vars[top - 1];
    if (second !== undefined && keyVar) keyVar.value = key;
  }
}
