/**
 * Declarative commands: each family describes its commands as specs (name,
 * docker's usage line, argument rule, options, action) and a Registrar turns
 * them into commander commands with docker's argument checks and messages.
 */
import { Command, Option } from 'commander';
import type { CliContext } from './context.js';
import { StatusError } from './errors.js';
import { checkArgs, commandPath } from './usage-errors.js';

/** How many positional arguments a command takes (docker's cli.ExactArgs and friends). */
export type ArgRule =
  | { readonly none: true }
  | { readonly exact: number }
  | { readonly min: number }
  | { readonly max: number };

/** Where a command was invoked from, for messages that name it. */
export interface Invocation {
  /** "berth image ls" */
  readonly commandPath: string;
  /** The name typed: "images", "ls" or an alias such as "list". */
  readonly calledAs: string;
}

/** One command as docker defines it. */
export interface CommandSpec<Options> {
  readonly name: string;
  readonly aliases?: readonly string[];
  /** docker's Use line after the name, e.g. "[OPTIONS] IMAGE [IMAGE...]". */
  readonly usage: string;
  readonly description: string;
  readonly args: ArgRule;
  /** Declares the command's options on it. */
  readonly options?: (cmd: Command, flags: FlagHelpers) => void;
  readonly run: (ctx: CliContext, args: string[], opts: Options, invocation: Invocation) => Promise<number>;
}

/** Option helpers that keep docker's flag syntax. */
export interface FlagHelpers {
  /** A Go-style boolean flag: `--flag`, `--flag=true|false`, `-f=false`. */
  bool(cmd: Command, flags: string, description: string, defaultValue?: boolean): void;
}

/** Runs an action with a fresh context and reports its exit code. */
export type ActionRunner = (action: (ctx: CliContext) => Promise<number>) => Promise<void>;

/** Repeated flags collect into a list: `-f a -f b`. */
export const collect = (value: string, previous: string[] | undefined): string[] => [
  ...(previous ?? []),
  value,
];

/** How a Go-style boolean flag is spelled for commander when set true or false. */
export interface BoolFlagSpelling {
  readonly whenTrue: string;
  /** Undefined when false is the default and needs no flag (`--no-trunc=false`). */
  readonly whenFalse?: string;
}

/**
 * Rewrites Go-style boolean flags (`--human=false`, `-H=true`) after the
 * command name into commander's `--human` / `--no-human`. Global flags that
 * take a value (globalValueFlags) come before the command, as in docker.
 */
export function normalizeBoolFlags(
  argv: readonly string[],
  boolFlags: ReadonlyMap<string, BoolFlagSpelling>,
  globalValueFlags: ReadonlySet<string>,
): string[] {
  const commandIndex = argv.findIndex(
    (arg, i) => !arg.startsWith('-') && (i === 0 || !globalValueFlags.has(argv[i - 1]!)),
  );
  const out: string[] = [];
  argv.forEach((arg, i) => {
    const m = /^(--?[\w-]+)=(true|false|1|0|t|f)$/i.exec(arg);
    const spelling = m && commandIndex >= 0 && i > commandIndex ? boolFlags.get(m[1]!) : undefined;
    if (!m || !spelling) out.push(arg);
    else if (/^(true|1|t)$/i.test(m[2]!)) out.push(spelling.whenTrue);
    else if (spelling.whenFalse) out.push(spelling.whenFalse);
  });
  return out;
}

/**
 * Builds commander commands from specs, remembering Go-style boolean flags.
 * With `only`, top-level commands and groups of other names are skipped:
 * building all ~150 commander commands is most of the CLI's start-up time,
 * and one invocation runs one command.
 */
export class Registrar {
  /** Flag as typed ("-H", "--human") → how commander spells true and false. */
  readonly boolFlags = new Map<string, BoolFlagSpelling>();
  /** Whether a top-level command or group named `only` was added. */
  matched = false;
  /** Groups left out by `only`: adding to them does nothing. */
  private readonly skipped = new WeakSet<Command>();

  constructor(
    private readonly runAction: ActionRunner,
    private readonly only?: string,
  ) {}

  /** Whether a top-level name is left out (and notes a match). */
  private skips(parent: Command, names: readonly string[]): boolean {
    if (this.skipped.has(parent)) return true;
    if (this.only === undefined || parent.parent !== null) return false;
    if (!names.includes(this.only)) return true;
    this.matched = true;
    return false;
  }

  private readonly helpers: FlagHelpers = {
    bool: (cmd, flags, description, defaultValue = false) => {
      const option = new Option(flags, description);
      const long = option.long ?? '';
      // A "--no-x" flag is commander's negation of x: x defaults to true.
      const negated = long.startsWith('--no-');
      cmd.addOption(negated ? option : option.default(defaultValue));
      if (!negated) cmd.addOption(new Option(`--no-${long.slice(2)}`).hideHelp());
      const spelling = negated ? { whenTrue: long } : { whenTrue: long, whenFalse: `--no-${long.slice(2)}` };
      this.boolFlags.set(long, spelling);
      if (option.short) this.boolFlags.set(option.short, spelling);
    },
  };

  /**
   * Adds a command group such as `image`: alone it prints its help (to
   * stderr, as docker does); with an unknown subcommand it fails.
   */
  group(parent: Command, name: string, description: string): Command {
    if (this.skips(parent, [name])) {
      const detached = new Command(name);
      this.skipped.add(detached);
      return detached;
    }
    const group = parent.command(name).description(description).usage('COMMAND').argument('[command]');
    group.helpOption('-h, --help', 'Print usage');
    group.action((typed: string | undefined, _opts: unknown, self: Command) => {
      const path = commandPath(self);
      if (typed !== undefined) {
        const footer = `\n\nUsage:  ${path}\n\nRun '${path} --help' for more information`;
        throw new StatusError(`berth: unknown command: ${path} ${typed}${footer}`, 1);
      }
      process.stderr.write(self.helpInformation());
      return this.runAction(async () => 0);
    });
    return group;
  }

  /** Adds a spec as a subcommand of parent. */
  add<Options>(parent: Command, spec: CommandSpec<Options>): Command {
    if (this.skips(parent, [spec.name, ...(spec.aliases ?? [])])) return parent;
    const cmd = parent
      .command(spec.name)
      .description(spec.description)
      .usage(spec.usage)
      .argument('[args...]')
      .helpOption('-h, --help', 'Print usage');
    for (const alias of spec.aliases ?? []) cmd.alias(alias);
    spec.options?.(cmd, this.helpers);
    cmd.action((args: string[], opts: Options, self: Command) => {
      checkArgs(self, spec.args, args.length);
      const invocation = { commandPath: commandPath(self), calledAs: calledAs(self, spec.name) };
      return this.runAction((ctx) => spec.run(ctx, args, opts, invocation));
    });
    return cmd;
  }
}

/** The name the user typed for this command (a name or one of its aliases). */
function calledAs(cmd: Command, name: string): string {
  const typed = cmd.parent?.args[0];
  return typed !== undefined && cmd.aliases().includes(typed) ? typed : name;
}
