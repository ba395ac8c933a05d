/**
 * A subset of Go's fmt package: Sprintf, Sprint and Sprintln over template
 * values. Verbs: %v %s %q %d %b %o %O %x %X %c %U %t %e %E %f %F %g %G %T %%,
 * flags - + # space 0, width and precision (also as *).
 */
import { formatValue, isInt, isNil, typeName } from './values.js';
import { formatArg, type Spec } from './verbs.js';

/** Reads flags, width and precision after a '%'; '*' takes its number from the arguments. */
class SpecReader {
  index = 0;
  argIndex = 0;
  /** Go's complaint about a '*' argument that is not an int, printed before the value. */
  problem = '';

  constructor(
    private readonly format: string,
    private readonly args: readonly unknown[],
  ) {}

  read(start: number): Spec | undefined {
    const spec: Spec = { minus: false, plus: false, sharp: false, space: false, zero: false, verb: '' };
    this.index = start;
    this.problem = '';
    this.readFlags(spec);
    spec.width = this.readNumber('%!(BADWIDTH)');
    if (this.format[this.index] === '.') {
      this.index++;
      spec.precision = this.readNumber('%!(BADPREC)') ?? 0;
    }
    if (this.index >= this.format.length) return undefined;
    spec.verb = String.fromCodePoint(this.format.codePointAt(this.index) ?? 0);
    this.index += spec.verb.length;
    return spec;
  }

  private readFlags(spec: Spec): void {
    for (;;) {
      const char = this.format[this.index];
      if (char === '-') spec.minus = true;
      else if (char === '+') spec.plus = true;
      else if (char === '#') spec.sharp = true;
      else if (char === ' ') spec.space = true;
      else if (char === '0') spec.zero = true;
      else return;
      this.index++;
    }
  }

  private readNumber(problem: string): number | undefined {
    if (this.format[this.index] === '*') {
      this.index++;
      const value = this.args[this.argIndex++];
      if (isInt(value)) return value;
      this.problem += problem;
      return undefined;
    }
    const match = /^\d+/.exec(this.format.slice(this.index));
    if (!match) return undefined;
    this.index += match[0].length;
    return Number(match[0]);
  }
}

function extraArgs(args: readonly unknown[]): string {
  const described = args.map((arg) => (isNil(arg) ? '<nil>' : `${typeName(arg)}=${formatValue(arg)}`));
  return '%!(EXTRA ' + described.join(', ') + ')';
}

function formatDirective(spec: Spec, reader: SpecReader, args: readonly unknown[]): string {
  if (spec.verb === '%') return '%';
  if (reader.argIndex >= args.length) return `%!${spec.verb}(MISSING)`;
  return formatArg(args[reader.argIndex++], spec);
}

/** fmt.Sprintf, including Go's reports of missing and unused arguments. */
export function sprintf(format: string, args: readonly unknown[]): string {
  const reader = new SpecReader(format, args);
  let out = '';
  let index = 0;
  while (index < format.length) {
    const percent = format.indexOf('%', index);
    if (percent < 0) {
      out += format.slice(index);
      break;
    }
    out += format.slice(index, percent);
    const spec = reader.read(percent + 1);
    index = reader.index;
    out += reader.problem + (spec ? formatDirective(spec, reader, args) : '%!(NOVERB)');
  }
  if (reader.argIndex < args.length) out += extraArgs(args.slice(reader.argIndex));
  return out;
}

/** fmt.Sprint: spaces go between operands when neither is a string. */
export function sprint(args: readonly unknown[]): string {
  let out = '';
  args.forEach((arg, i) => {
    if (i > 0 && typeof arg !== 'string' && typeof args[i - 1] !== 'string') out += ' ';
    out += formatValue(arg);
  });
  return out;
}

/** fmt.Sprintln: spaces between all operands and a trailing newline. */
export function sprintln(args: readonly unknown[]): string {
  return args.map(formatValue).join(' ') + '\n';
}
