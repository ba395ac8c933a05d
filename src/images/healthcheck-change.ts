/**
 * HEALTHCHECK of `import --change` / `commit --change`, parsed as dockerd
 * 20.10's Dockerfile parser does, with its error texts. (dockerd 20.10 does
 * not take STOPSIGNAL as a change: "stopsignal is not a valid change command".)
 */
import { invalidArgument } from '../core/errors.js';

/** The image config's Healthcheck; durations in nanoseconds, zero ones left out. */
export interface HealthConfig {
  Test: string[];
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  Retries?: number;
}

const FLAGS = ['interval', 'timeout', 'start-period', 'retries'] as const;
type Flag = (typeof FLAGS)[number];
/** container.MinimumDuration: 1ms. */
const MIN_DURATION_NS = 1_000_000;

/** `HEALTHCHECK NONE` or `HEALTHCHECK [--flag=value…] CMD command` (exec or shell form). */
export function parseHealthcheck(args: string): HealthConfig {
  let rest = args.trim();
  const flags = new Map<Flag, string>();
  for (let match = /^--(\S*)\s*/.exec(rest); match; match = /^--(\S*)\s*/.exec(rest)) {
    rest = rest.slice(match[0].length);
    const [name, value] = splitFlag(match[1]!);
    if (!(FLAGS as readonly string[]).includes(name)) throw invalidArgument(`Unknown flag: ${name}`);
    if (value === undefined) throw invalidArgument(`Missing a value on flag: ${name}`);
    flags.set(name as Flag, value);
  }
  if (rest === '') throw invalidArgument('HEALTHCHECK requires at least one argument');
  const [, word = '', command = ''] = /^(\S+)\s*([\s\S]*)$/.exec(rest) ?? [];
  const type = word.toUpperCase();
  if (type === 'NONE') {
    if (command !== '') throw invalidArgument('HEALTHCHECK NONE takes no arguments');
    return { Test: ['NONE'] };
  }
  if (type !== 'CMD') throw invalidArgument(`Unknown type "${type}" in HEALTHCHECK (try CMD)`);
  const exec = execForm(command);
  const test = exec ? ['CMD', ...exec] : command === '' ? [] : ['CMD-SHELL', command];
  if (test.length <= 1) throw invalidArgument('Missing command after HEALTHCHECK CMD');
  const health: HealthConfig = { Test: test };
  for (const [flag, key] of [
    ['interval', 'Interval'],
    ['timeout', 'Timeout'],
    ['start-period', 'StartPeriod'],
  ] as const) {
    const value = optionalInterval(flag, flags.get(flag));
    if (value) health[key] = value;
  }
  const retries = flags.get('retries');
  if (retries !== undefined && retries !== '') {
    if (!/^[+-]?\d+$/.test(retries)) {
      throw invalidArgument(`strconv.ParseInt: parsing "${retries}": invalid syntax`);
    }
    if (Number(retries) < 1) throw invalidArgument(`--retries must be at least 1 (not ${Number(retries)})`);
    health.Retries = Number(retries);
  }
  return health;
}

function splitFlag(text: string): [string, string | undefined] {
  const eq = text.indexOf('=');
  return eq < 0 ? [text, undefined] : [text.slice(0, eq), text.slice(eq + 1)];
}

function execForm(command: string): string[] | undefined {
  if (!command.startsWith('[')) return undefined;
  try {
    const value: unknown = JSON.parse(command);
    if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value;
  } catch {
    // Not JSON: the shell form, as Docker falls back to it.
  }
  return undefined;
}

function optionalInterval(flag: Flag, value: string | undefined): number {
  if (value === undefined || value === '') return 0;
  const ns = parseGoDuration(value);
  // dockerd 20.10 refuses an explicit zero too; only an absent flag means "default".
  if (ns < MIN_DURATION_NS) throw invalidArgument(`Interval "${flag}" cannot be less than 1ms`);
  return ns;
}

const UNIT_NS: Record<string, number> = {
  ns: 1,
  us: 1e3,
  µs: 1e3,
  μs: 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

/** Go's time.ParseDuration ("1m30s", "1.5h", "300ms"), in nanoseconds. */
export function parseGoDuration(text: string): number {
  const invalid = () => invalidArgument(`time: invalid duration "${text}"`);
  let rest = text;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    sign = rest[0] === '-' ? -1 : 1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') throw invalid();
  let total = 0;
  while (rest !== '') {
    const number = /^(\d*)(?:\.(\d*))?/.exec(rest)!;
    if (!number[1] && !number[2]) throw invalid();
    rest = rest.slice(number[0].length);
    const unit = /^[^\d.]*/.exec(rest)![0];
    if (unit === '') throw invalidArgument(`time: missing unit in duration "${text}"`);
    const scale = UNIT_NS[unit];
    if (scale === undefined) throw invalidArgument(`time: unknown unit "${unit}" in duration "${text}"`);
    total += Number(`${number[1] || '0'}.${number[2] || '0'}`) * scale;
    rest = rest.slice(unit.length);
  }
  return Math.round(sign * total);
}
