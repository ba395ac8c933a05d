/**
 * Go's checks of function arguments against parameter types (exec.go's
 * evalArg and validateType), with its wording for mismatches.
 */
import type { LiteralNode } from './ast.js';
import { describeNode } from './ast.js';
import { GO_TYPE_OF_KIND, type ParamKind } from './functions.js';
import { isInt, isNil, typeName } from './values.js';

/** The argument to pass, or Go's complaint about it. */
export type ArgResult = { readonly value: unknown } | { readonly problem: string };

function isStringArray(value: unknown): boolean {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

/** Literal arguments must already have the parameter's type. */
export function literalArg(node: LiteralNode, kind: ParamKind): ArgResult {
  switch (kind) {
    case 'any':
      return { value: node.value };
    case 'string':
      if (node.kind === 'string') return { value: node.value };
      return { problem: `expected string; found ${describeNode(node)}` };
    case 'int':
      if (node.kind === 'number' && node.isInt) return { value: node.value };
      return { problem: `expected integer; found ${describeNode(node)}` };
    case 'strings':
      return { problem: `can't handle ${describeNode(node)} for arg of type []string` };
  }
}

/** Only interface and slice parameters take nil. */
export function nilArg(kind: ParamKind): ArgResult {
  if (kind === 'any' || kind === 'strings') return { value: null };
  return { problem: `cannot assign nil to ${GO_TYPE_OF_KIND[kind]}` };
}

/** Values computed at run time must fit the parameter. */
export function valueArg(value: unknown, kind: ParamKind): ArgResult {
  if (kind === 'any') return { value };
  if (isNil(value)) {
    return kind === 'strings'
      ? { value: null }
      : { problem: `invalid value; expected ${GO_TYPE_OF_KIND[kind]}` };
  }
  const fits =
    kind === 'string' ? typeof value === 'string' : kind === 'int' ? isInt(value) : isStringArray(value);
  if (fits) return { value };
  return { problem: `wrong type for value; expected ${GO_TYPE_OF_KIND[kind]}; got ${typeName(value)}` };
}
