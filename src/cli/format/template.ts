/**
 * Go text/template for `--format`: parseTemplate compiles a template with
 * Go's built-in functions and docker's additions (json, split, join, title,
 * lower, upper, pad, truncate); Template.execute renders data with it.
 */
import { BerthError } from '../../core/errors.js';
import type { ListNode } from './ast.js';
import { BUILTIN_FUNCTIONS } from './builtins.js';
import { DOCKER_FUNCTIONS } from './docker-functions.js';
import type { ExecOptions } from './evaluator.js';
import { Execution } from './executor.js';
import type { FunctionMap } from './functions.js';
import { lex } from './lexer.js';
import { Parser } from './parser.js';

export const TEMPLATE_FUNCTIONS: FunctionMap = { ...BUILTIN_FUNCTIONS, ...DOCKER_FUNCTIONS };

export interface PartialResult {
  /** Output written before the error, if any, as Go leaves it in the writer. */
  readonly output: string;
  readonly error?: BerthError;
}

export class Template {
  constructor(
    private readonly source: string,
    private readonly root: ListNode,
  ) {}

  /** Renders data; throws an InvalidArgument BerthError worded like Go's exec errors. */
  execute(data: unknown, options: ExecOptions = {}): string {
    const result = this.executePartial(data, {}, options);
    if (result.error) throw result.error;
    return result.output;
  }

  /** Renders data, optionally with some functions replaced, keeping the output before any error. */
  executePartial(data: unknown, overrides: FunctionMap = {}, options: ExecOptions = {}): PartialResult {
    const execution = new Execution(this.source, { ...TEMPLATE_FUNCTIONS, ...overrides }, options);
    try {
      execution.run(this.root, data);
      return { output: execution.text };
    } catch (err) {
      if (err instanceof BerthError) return { output: execution.text, error: err };
      throw err;
    }
  }
}

/** Parses Go template text; throws an InvalidArgument BerthError such as `template: :1: unclosed action`. */
export function parseTemplate(text: string): Template {
  const root = new Parser(lex(text), new Set(Object.keys(TEMPLATE_FUNCTIONS))).parse();
  return new Template(text, root);
}
