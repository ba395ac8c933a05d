/**
 * Evaluates pipelines, commands, fields and function calls against data, after
 * Go's text/template exec.go, including its argument checks and the wording
 * and position of its errors.
 */
import { invalidArgument } from '../../core/errors.js';
import { type ArgResult, literalArg, nilArg, valueArg } from './arguments.js';
import type {
  AnyNode,
  ArgNode,
  ChainNode,
  CommandNode,
  FieldNode,
  IdentifierNode,
  PipeNode,
  VariableNode,
} from './ast.js';
import { describeNode, locate } from './ast.js';
import {
  CallError,
  type FunctionMap,
  type ParamKind,
  type TemplateFunction,
  TemplateMethod,
} from './functions.js';
import { GO_TYPE, isMap, isTrue, typeName } from './values.js';

/** Marks "no value piped in from a previous command", which differs from a nil value. */
const NO_FINAL: unique symbol = Symbol('no final value');
/** The value piped in from the previous command, or NO_FINAL. */
type Final = unknown;

interface Variable {
  readonly name: string;
  value: unknown;
}

/** Go's template options that change evaluation. */
export interface ExecOptions {
  /** Go's Option("missingkey=error"): a missing map key fails instead of printing "<no value>". */
  readonly missingKeyError?: boolean;
}

export abstract class Evaluator {
  protected readonly vars: Variable[] = [];
  /** The node being evaluated; errors report its position and text. */
  protected current: AnyNode | undefined;

  constructor(
    private readonly source: string,
    private readonly functions: FunctionMap,
    private readonly options: ExecOptions = {},
  ) {}

  protected fail(message: string): never {
    const node = this.current;
    if (!node) throw invalidArgument(`template: : ${message}`);
    throw invalidArgument(
      `template: ${locate(this.source, node)}: executing "" at <${describeNode(node)}>: ${message}`,
    );
  }

  protected evalPipeline(dot: unknown, pipe: PipeNode): unknown {
    this.current = pipe;
    let value: unknown = NO_FINAL;
    for (const cmd of pipe.cmds) {
      value = this.evalCommand(dot, cmd, value);
      // Go unwraps interface values here, so a nil element becomes "no value".
      if (value === null) value = undefined;
    }
    for (const variable of pipe.decl) {
      const name = variable.idents[0] ?? '$';
      if (pipe.isAssign) this.setVar(name, value);
      else this.vars.push({ name, value });
    }
    return value;
  }

  protected setVar(name: string, value: unknown): void {
    const variable = this.vars.findLast((candidate) => candidate.name === name);
    if (!variable) this.fail(`undefined variable: ${name}`);
    variable.value = value;
  }

  private varValue(name: string): unknown {
    const variable = this.vars.findLast((candidate) => candidate.name === name);
    if (!variable) this.fail(`undefined variable: ${name}`);
    return variable.value;
  }

  private evalCommand(dot: unknown, cmd: CommandNode, final: Final): unknown {
    const [first] = cmd.args;
    if (!first) this.fail('empty command');
    switch (first.kind) {
      case 'field':
        return this.evalFieldNode(dot, first, cmd.args, final);
      case 'chain':
        return this.evalChain(dot, first, cmd.args, final);
      case 'identifier':
        return this.evalFunction(dot, first, cmd, cmd.args, final);
      case 'pipe':
        this.notAFunction(cmd.args, final);
        return this.evalPipeline(dot, first);
      case 'variable':
        return this.evalVariable(dot, first, cmd.args, final);
    }
    this.current = first;
    this.notAFunction(cmd.args, final);
    if (first.kind === 'nil') this.fail('nil is not a command');
    return first.kind === 'dot' ? dot : first.value;
  }

  private notAFunction(args: readonly ArgNode[], final: Final): void {
    const [first] = args;
    if (first && (args.length > 1 || final !== NO_FINAL)) {
      this.fail(`can't give argument to non-function ${describeNode(first)}`);
    }
  }

  private evalFieldNode(dot: unknown, field: FieldNode, args: readonly ArgNode[], final: Final): unknown {
    this.current = field;
    return this.evalFieldChain(dot, dot, field.idents, args, final);
  }

  private evalChain(dot: unknown, chain: ChainNode, args: readonly ArgNode[], final: Final): unknown {
    this.current = chain;
    if (chain.node.kind === 'nil') this.fail(`indirection through explicit nil in ${describeNode(chain)}`);
    const receiver = this.evalArg(dot, 'any', chain.node);
    return this.evalFieldChain(dot, receiver, chain.fields, args, final);
  }

  private evalVariable(
    dot: unknown,
    variable: VariableNode,
    args: readonly ArgNode[],
    final: Final,
  ): unknown {
    this.current = variable;
    const [name = '$', ...fields] = variable.idents;
    const value = this.varValue(name);
    if (fields.length === 0) {
      this.notAFunction(args, final);
      return value;
    }
    return this.evalFieldChain(dot, value, fields, args, final);
  }

  /**
   * Walks `.A.B.C` from the receiver; only the last field sees the arguments.
   * `dot` is where the arguments of a method are evaluated.
   */
  private evalFieldChain(
    dot: unknown,
    receiver: unknown,
    fields: readonly string[],
    args: readonly ArgNode[],
    final: Final,
  ): unknown {
    let value = receiver;
    fields.forEach((field, i) => {
      const last = i === fields.length - 1;
      value = this.evalField(dot, field, last ? args : [], last ? final : NO_FINAL, value);
    });
    return value;
  }

  private evalField(
    dot: unknown,
    name: string,
    args: readonly ArgNode[],
    final: Final,
    receiver: unknown,
  ): unknown {
    // A missing map key yields Go's invalid value, and fields of it stay invalid.
    if (receiver === undefined) return undefined;
    if (receiver === null) this.fail(`nil pointer evaluating interface {}.${name}`);
    if (!isMap(receiver)) this.fail(`can't evaluate field ${name} in type ${typeName(receiver)}`);
    const member = Object.hasOwn(receiver, name) ? receiver[name] : undefined;
    if (member instanceof TemplateMethod && this.current) {
      return this.evalCall(dot, member.fn, this.current, name, args.slice(1), final);
    }
    const goType = (receiver as { [GO_TYPE]?: string })[GO_TYPE];
    if (goType && !Object.hasOwn(receiver, name)) this.fail(`can't evaluate field ${name} in type ${goType}`);
    if (args.length > 1 || final !== NO_FINAL) this.fail(`${name} is not a method but has arguments`);
    if (Object.hasOwn(receiver, name)) return receiver[name];
    if (this.options.missingKeyError) this.fail(`map has no entry for key "${name}"`);
    return undefined;
  }

  private evalFunction(
    dot: unknown,
    identifier: IdentifierNode,
    node: AnyNode,
    args: readonly ArgNode[],
    final: Final,
  ): unknown {
    this.current = identifier;
    const fn = this.functions[identifier.name];
    if (!fn) this.fail(`"${identifier.name}" is not a defined function`);
    return this.evalCall(dot, fn, node, identifier.name, args.slice(1), final);
  }

  private evalCall(
    dot: unknown,
    fn: TemplateFunction,
    node: AnyNode,
    name: string,
    args: readonly ArgNode[],
    final: Final,
  ): unknown {
    const count = args.length + (final === NO_FINAL ? 0 : 1);
    this.checkArity(fn, name, args.length, count);
    if (name === 'and' || name === 'or') return this.evalShortCircuit(dot, name === 'or', args, final);
    const kindAt = (i: number): ParamKind => fn.params[i] ?? fn.variadic ?? 'any';
    const values = args.map((arg, i) => this.evalArg(dot, kindAt(i), arg));
    if (final !== NO_FINAL) values.push(this.checkedValue(final, kindAt(count - 1)));
    try {
      return fn.call(...values);
    } catch (err) {
      if (!(err instanceof CallError)) throw err;
      this.current = node;
      this.fail(`error calling ${name}: ${err.message}`);
    }
  }

  /** Go counts the piped value for fixed arities but not in the "want at least" message. */
  private checkArity(fn: TemplateFunction, name: string, written: number, count: number): void {
    const fixed = fn.params.length;
    if (fn.variadic && count < fixed) {
      this.fail(`wrong number of args for ${name}: want at least ${fixed} got ${written}`);
    }
    if (!fn.variadic && count !== fixed)
      this.fail(`wrong number of args for ${name}: want ${fixed} got ${count}`);
  }

  /** and/or stop at the first argument that decides the result, as Go 1.18+ does. */
  private evalShortCircuit(dot: unknown, isOr: boolean, args: readonly ArgNode[], final: Final): unknown {
    let value: unknown;
    for (const arg of args) {
      value = this.evalArg(dot, 'any', arg);
      if (isTrue(value) === isOr) return value;
    }
    return final === NO_FINAL ? value : final;
  }

  private evalArg(dot: unknown, kind: ParamKind, node: ArgNode): unknown {
    this.current = node;
    switch (node.kind) {
      case 'dot':
        return this.checkedValue(dot, kind);
      case 'nil':
        return this.checked(nilArg(kind));
      case 'field':
        return this.checkedValue(this.evalFieldNode(dot, node, [node], NO_FINAL), kind);
      case 'variable':
        return this.checkedValue(this.evalVariable(dot, node, [], NO_FINAL), kind);
      case 'pipe':
        return this.checkedValue(this.evalPipeline(dot, node), kind);
      case 'identifier':
        return this.checkedValue(this.evalFunction(dot, node, node, [node], NO_FINAL), kind);
      case 'chain':
        return this.checkedValue(this.evalChain(dot, node, [], NO_FINAL), kind);
    }
    return this.checked(literalArg(node, kind));
  }

  private checkedValue(value: unknown, kind: ParamKind): unknown {
    return this.checked(valueArg(value, kind));
  }

  private checked(result: ArgResult): unknown {
    if ('problem' in result) this.fail(result.problem);
    return result.value;
  }
}
