/**
 * The shape of template functions. Parameters declare the Go type they stand
 * for, so the executor can check arguments and word errors as Go does.
 */

/** `any` is interface{} (or reflect.Value); `strings` is []string. */
export type ParamKind = 'any' | 'string' | 'int' | 'strings';

export interface TemplateFunction {
  readonly params: readonly ParamKind[];
  /** The kind of any further arguments; absent for a fixed arity. */
  readonly variadic?: ParamKind;
  readonly call: (...args: unknown[]) => unknown;
}

export type FunctionMap = Readonly<Record<string, TemplateFunction>>;

/**
 * A method of a value a template sees (docker's formatter contexts have
 * some, like a container row's `.Label "key"`): a field holding one is
 * called with the arguments written after it, as Go calls a method.
 */
export class TemplateMethod {
  constructor(readonly fn: TemplateFunction) {}
}

/** A function's own failure; the executor reports it as "error calling NAME: message". */
export class CallError extends Error {
  override readonly name = 'CallError';
}

/** Go type names of parameter kinds, for argument errors. */
export const GO_TYPE_OF_KIND: Readonly<Record<ParamKind, string>> = {
  any: 'interface {}',
  string: 'string',
  int: 'int',
  strings: '[]string',
};

export function defineFunction(
  params: readonly ParamKind[],
  call: (...args: unknown[]) => unknown,
  variadic?: ParamKind,
): TemplateFunction {
  return { params, call, variadic };
}

/** Arguments are checked against their kind before a call; these only narrow the type. */
export function asString(value: unknown): string {
  return typeof value === 'string' ? value : String(value);
}

export function asInt(value: unknown): number {
  return Number(value);
}

export function asStrings(value: unknown): string[] {
  return Array.isArray(value) ? value.map(asString) : [];
}
