/**
 * Typed instructions and build stages from parsed nodes, with the checks and
 * messages of BuildKit's `frontend/dockerfile/instructions` (which the
 * legacy builder uses too). Arguments that are subject to substitution stay
 * raw words (quotes kept); the executor expands them when the step runs,
 * with the variables of that moment.
 */
import { BuilderError } from './errors.js';
import { type DockerfileNode, type ParsedDockerfile, parseDockerfile } from './parser.js';

interface Base {
  line: number;
  original: string;
}

/** A command in exec form (JSON list) or shell form (one string for the shell). */
export type CommandLine = { exec: string[] } | { shell: string };

export type Instruction =
  | (Base & { kind: 'run'; command: CommandLine; network?: string })
  | (Base & { kind: 'cmd' | 'entrypoint'; command: CommandLine })
  | (Base & { kind: 'env' | 'label'; pairs: [string, string][]; literal?: boolean })
  | (Base & { kind: 'arg'; args: { key: string; value?: string }[] })
  | (Base & { kind: 'expose'; ports: string[] })
  | (Base & { kind: 'workdir' | 'user' | 'stopsignal' | 'maintainer'; value: string })
  | (Base & { kind: 'volume'; paths: string[] })
  | (Base & { kind: 'shell'; shell: string[] })
  | (Base & { kind: 'onbuild'; expression: string })
  | (Base & {
      kind: 'copy' | 'add';
      sources: string[];
      dest: string;
      from?: string;
      chown?: string;
      chmod?: string;
    })
  | (Base & { kind: 'healthcheck'; test: string[] | null; options: HealthOptions });

export interface HealthOptions {
  interval?: number;
  timeout?: number;
  startPeriod?: number;
  retries?: number;
}

/** A FROM and the instructions up to the next FROM. */
export interface Stage {
  /** Raw image word (before ARG substitution). */
  image: string;
  /** The `AS name`, lower case; undefined when unnamed. */
  name?: string;
  platform?: string;
  line: number;
  original: string;
  commands: Instruction[];
}

/** A whole Dockerfile: ARGs before the first FROM, then the stages. */
export interface BuildPlan {
  metaArgs: Extract<Instruction, { kind: 'arg' }>[];
  stages: Stage[];
  escape: string;
  warnings: string[];
}

/** Parses Dockerfile text into stages; errors name the line. */
export function parseBuildPlan(text: string): BuildPlan {
  const parsed: ParsedDockerfile = parseDockerfile(text);
  const plan: BuildPlan = { metaArgs: [], stages: [], escape: parsed.escape, warnings: parsed.warnings };
  for (const node of parsed.nodes) {
    if (node.instruction === 'from') {
      plan.stages.push(parseFrom(node, parsed.escape));
      continue;
    }
    const instruction = parseInstruction(node, parsed.escape);
    const stage = plan.stages.at(-1);
    if (stage) stage.commands.push(instruction);
    else if (instruction.kind === 'arg') plan.metaArgs.push(instruction);
    else throw new BuilderError('no build stage in current context', node.startLine);
  }
  if (plan.stages.length === 0) throw new BuilderError('file with no instructions', undefined);
  return plan;
}

function fail(node: DockerfileNode, reason: string): never {
  throw new BuilderError(reason, node.startLine);
}

function parseFrom(node: DockerfileNode, escapeChar: string): Stage {
  const flags = parseFlags(node, ['platform']);
  const words = parseWords(node.args, escapeChar);
  if (words.length !== 1 && !(words.length === 3 && words[1]!.toLowerCase() === 'as')) {
    fail(node, 'FROM requires either one or three arguments');
  }
  const name = words[2]?.toLowerCase();
  if (name !== undefined && !/^[a-z][a-z0-9-_.]*$/.test(name)) {
    fail(
      node,
      `invalid name for build stage: "${words[2]}", name can't start with a number or contain symbols`,
    );
  }
  return {
    image: words[0]!,
    ...(name ? { name } : {}),
    ...(flags.platform ? { platform: flags.platform } : {}),
    line: node.startLine,
    original: node.original,
    commands: [],
  };
}

/** Parses one non-FROM instruction. */
export function parseInstruction(node: DockerfileNode, escapeChar: string): Instruction {
  const base = { line: node.startLine, original: node.original };
  const { args } = node;
  switch (node.instruction) {
    case 'run': {
      const flags = parseFlags(node, ['network', 'mount', 'security']);
      return {
        ...base,
        kind: 'run',
        command: commandLine(args),
        ...(flags.network ? { network: flags.network } : {}),
      };
    }
    case 'cmd':
    case 'entrypoint':
      parseFlags(node, []);
      return { ...base, kind: node.instruction, command: commandLine(args) };
    case 'env':
    case 'label':
      return { ...base, kind: node.instruction, pairs: nameValues(node, escapeChar) };
    case 'arg':
      return { ...base, kind: 'arg', args: argsOf(node, escapeChar) };
    case 'expose':
      if (args === '') fail(node, 'EXPOSE requires at least one argument');
      return { ...base, kind: 'expose', ports: parseWords(args, escapeChar) };
    case 'workdir':
    case 'user':
    case 'stopsignal':
      if (args === '') fail(node, `${node.instruction.toUpperCase()} requires exactly one argument`);
      if (node.instruction !== 'workdir' && parseWords(args, escapeChar).length !== 1)
        fail(node, `${node.instruction.toUpperCase()} requires exactly one argument`);
      return { ...base, kind: node.instruction, value: args };
    case 'maintainer':
      if (args === '') fail(node, 'MAINTAINER requires exactly one argument');
      return { ...base, kind: 'maintainer', value: args };
    case 'volume': {
      const paths = maybeJsonList(args) ?? args.split(/\s+/).filter(Boolean);
      if (paths.length === 0) fail(node, 'VOLUME requires at least one argument');
      if (paths.some((p) => p.trim() === '')) fail(node, 'VOLUME specified can not be an empty string');
      return { ...base, kind: 'volume', paths };
    }
    case 'shell': {
      const shell = maybeJsonList(args);
      if (!shell) fail(node, 'SHELL requires the arguments to be in JSON form');
      if (shell.length === 0) fail(node, 'SHELL requires at least one argument');
      return { ...base, kind: 'shell', shell };
    }
    case 'onbuild':
      return { ...base, kind: 'onbuild', expression: onbuildExpression(node) };
    case 'copy':
    case 'add':
      return { ...base, ...parseCopy(node) };
    case 'healthcheck':
      return { ...base, kind: 'healthcheck', ...parseHealthcheck(node) };
    default:
      return fail(node, `unknown instruction: ${node.original.split(/\s/, 1)[0]!.toUpperCase()}`);
  }
}

/** `--name=value` flags, each allowed name at most once. */
function parseFlags(node: DockerfileNode, allowed: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const flag of node.flags) {
    const match = /^--([^=]+)(?:=(.*))?$/.exec(flag);
    const name = match?.[1] ?? flag;
    if (!match || !allowed.includes(name)) fail(node, `Unknown flag: ${name}`);
    if (name in out) fail(node, `Duplicate flag specified: ${name}`);
    if (match[2] === undefined) fail(node, `Missing a value on flag: ${name}`);
    out[name] = match[2];
  }
  return out;
}

function commandLine(args: string): CommandLine {
  const exec = maybeJsonList(args);
  return exec ? { exec } : { shell: args };
}

/** A JSON list of strings, or undefined when the text is not one (then it is shell form). */
export function maybeJsonList(text: string): string[] | undefined {
  if (!text.trim().startsWith('[')) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value;
  } catch {
    // Not JSON: shell form.
  }
  return undefined;
}

/**
 * Splits on unquoted whitespace, keeping quotes and escapes in the words (the
 * expansion removes them), as BuildKit's parseWords.
 */
export function parseWords(text: string, escapeChar: string): string[] {
  const words: string[] = [];
  let word = '';
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === escapeChar && i + 1 < text.length && quote !== "'") {
      word += ch + text[++i];
      continue;
    }
    if (quote) {
      if (ch === quote) quote = undefined;
      word += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      word += ch;
    } else if (/\s/.test(ch)) {
      if (word !== '') words.push(word);
      word = '';
    } else word += ch;
  }
  if (word !== '') words.push(word);
  return words;
}

/** ENV and LABEL: `k=v k2="v 2"`, or the legacy `KEY value with spaces`. */
function nameValues(node: DockerfileNode, escapeChar: string): [string, string][] {
  const name = node.instruction.toUpperCase();
  const words = parseWords(node.args, escapeChar);
  if (words.length === 0) fail(node, `${name} requires at least one argument`);
  if (!words[0]!.includes('=')) {
    const rest = node.args.slice(node.args.indexOf(words[0]!) + words[0]!.length).trim();
    if (rest === '') fail(node, `${name} must have two arguments`);
    return [[words[0]!, rest]];
  }
  return words.map((word) => {
    const eq = word.indexOf('=');
    if (eq < 0) fail(node, `Syntax error - can't find = in "${word}". Must be of the form: name=value`);
    if (eq === 0) fail(node, `${name} names can not be blank`);
    return [word.slice(0, eq), word.slice(eq + 1)];
  });
}

function argsOf(node: DockerfileNode, escapeChar: string): { key: string; value?: string }[] {
  const words = parseWords(node.args, escapeChar);
  if (words.length === 0) fail(node, 'ARG requires exactly one argument');
  return words.map((word) => {
    const eq = word.indexOf('=');
    if (eq === 0) fail(node, 'ARG names can not be blank');
    return eq < 0 ? { key: word } : { key: word.slice(0, eq), value: word.slice(eq + 1) };
  });
}

function onbuildExpression(node: DockerfileNode): string {
  const expression = node.args.trim();
  if (expression === '') fail(node, 'ONBUILD requires at least one argument');
  const trigger = expression.split(/\s/, 1)[0]!.toUpperCase();
  if (trigger === 'ONBUILD') fail(node, "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
  if (trigger === 'FROM' || trigger === 'MAINTAINER')
    fail(node, `${trigger} isn't allowed as an ONBUILD trigger`);
  return expression;
}

function parseCopy(node: DockerfileNode) {
  const kind = node.instruction as 'copy' | 'add';
  const allowed = kind === 'copy' ? ['from', 'chown', 'chmod'] : ['chown', 'chmod'];
  const flags = parseFlags(node, allowed);
  const words = maybeJsonList(node.args) ?? node.args.split(/\s+/).filter(Boolean);
  if (words.length < 2)
    fail(node, `${kind.toUpperCase()} requires at least two arguments, but got ${words.length}`);
  if (flags.chmod !== undefined && !/^[0-7]{1,4}$/.test(flags.chmod))
    fail(node, `invalid chmod parameter: ${flags.chmod}`);
  return {
    kind,
    sources: words.slice(0, -1),
    dest: words.at(-1)!,
    ...(flags.from !== undefined ? { from: flags.from } : {}),
    ...(flags.chown !== undefined ? { chown: flags.chown } : {}),
    ...(flags.chmod !== undefined ? { chmod: flags.chmod } : {}),
  };
}

function parseHealthcheck(node: DockerfileNode): { test: string[] | null; options: HealthOptions } {
  const flags = parseFlags(node, ['interval', 'timeout', 'start-period', 'retries']);
  const args = node.args.trim();
  if (args === '') fail(node, 'HEALTHCHECK requires at least one argument');
  const [type = '', ...restWords] = args.split(/\s+/);
  const upper = type.toUpperCase();
  if (upper === 'NONE') {
    if (restWords.length > 0 || node.flags.length > 0) fail(node, 'HEALTHCHECK NONE takes no arguments');
    return { test: ['NONE'], options: {} };
  }
  if (upper !== 'CMD') fail(node, `Unknown type "${upper}" in HEALTHCHECK (try CMD)`);
  const rest = args.slice(type.length).trim();
  const exec = maybeJsonList(rest);
  const test = exec ? ['CMD', ...exec] : ['CMD-SHELL', rest];
  const options: HealthOptions = {};
  const durations = [
    ['interval', 'interval'],
    ['timeout', 'timeout'],
    ['start-period', 'startPeriod'],
  ] as const;
  for (const [flag, key] of durations) {
    if (flags[flag] === undefined) continue;
    const value = parseGoDuration(flags[flag]!);
    if (value === undefined) fail(node, `time: invalid duration "${flags[flag]}"`);
    if (value !== 0 && value < 1_000_000) fail(node, `Interval "${flag}" cannot be less than 1ms`);
    if (value !== 0) options[key] = value;
  }
  if (flags.retries !== undefined) {
    const retries = Number(flags.retries);
    if (!Number.isInteger(retries))
      fail(node, `strconv.ParseInt: parsing "${flags.retries}": invalid syntax`);
    if (retries < 1) fail(node, '--retries must be at least 1');
    options.retries = retries;
  }
  return { test, options };
}

const UNITS: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** Go's time.ParseDuration, in nanoseconds; undefined when malformed. */
export function parseGoDuration(text: string): number | undefined {
  if (text === '0') return 0;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let matched = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    total += Number(m[1]) * UNITS[m[2]!]!;
    matched = re.lastIndex;
  }
  return matched === text.length && text.length > 0 ? Math.round(total) : undefined;
}
