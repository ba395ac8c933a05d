import { Command, CommanderError, Option } from 'commander';
import { clientBuild } from './build.js';
import { normalizeBoolFlags, Registrar } from './command-spec.js';
import { registerBootstrapCommands } from './commands/bootstrap/register.js';
import { registerBuildCommands } from './commands/build/register.js';
import { registerContainerCommands } from './commands/containers/register.js';
import { registerImageCommands } from './commands/images/register.js';
import { registerNetworkCommands } from './commands/networks/register.js';
import { registerRegistryCommands } from './commands/registry/register.js';
import { registerSystemCommands } from './commands/system/register.js';
import { type CliContext, createContext } from './context.js';
import { errorText, exitCodeOf, isSilent } from './errors.js';
import { restoreExtraCaCerts } from './extra-ca.js';
import { formatHelp } from './help.js';
import { resolveEndpoint } from './hosts.js';
import { flagError } from './usage-errors.js';

type GlobalOpts = {
  host?: string;
  tls?: boolean;
  tlsverify?: boolean;
  tlscacert?: string;
  tlscert?: string;
  tlskey?: string;
  debug?: boolean;
  version?: boolean;
};

/** Global flags that take a value; they come before the command, as in docker. */
const GLOBAL_VALUE_FLAGS = new Set([
  '-H',
  '--host',
  '-l',
  '--log-level',
  '--tlscacert',
  '--tlscert',
  '--tlskey',
]);

function contextFrom(program: Command): CliContext {
  const g = program.opts<GlobalOpts>();
  const endpoint = resolveEndpoint({
    host: g.host,
    tls: g.tls,
    tlsVerify: g.tlsverify,
    tlsCaCert: g.tlscacert,
    tlsCert: g.tlscert,
    tlsKey: g.tlskey,
  });
  return createContext(endpoint, g.debug ?? false);
}

function createProgram(): Command {
  return new Command('berth')
    .description('A self-sufficient runtime for containers')
    .usage('[OPTIONS] COMMAND')
    .option('-H, --host <string>', 'Daemon socket to connect to')
    .option('--tls', 'Use TLS; implied by --tlsverify')
    .option('--tlsverify', 'Use TLS and verify the remote')
    .option('--tlscacert <string>', 'Trust certs signed only by this CA')
    .option('--tlscert <string>', 'Path to TLS certificate file')
    .option('--tlskey <string>', 'Path to TLS key file')
    .option('-D, --debug', 'Enable debug mode')
    .addOption(
      new Option('-l, --log-level <string>', 'Set the logging level').choices([
        'debug',
        'info',
        'warn',
        'error',
        'fatal',
      ]),
    )
    .option('-v, --version', 'Print version information and quit')
    .helpOption('-h, --help', 'Print usage')
    .showSuggestionAfterError(false)
    .enablePositionalOptions();
}

/**
 * Builds the program; each command family registers itself. onExit receives
 * a command's exit code. With `only`, just the top-level command or group of
 * that name is built (see Registrar).
 */
export function buildProgram(
  onExit: (code: number) => void,
  only?: string,
): { program: Command; registrar: Registrar } {
  const program = createProgram();
  const registrar = new Registrar(async (action) => onExit(await action(contextFrom(program))), only);
  registerSystemCommands(program, registrar);
  registerImageCommands(program, registrar);
  registerRegistryCommands(program, registrar);
  registerContainerCommands(program, registrar);
  registerNetworkCommands(program, registrar);
  registerBootstrapCommands(program, registrar);
  registerBuildCommands(program, registrar);

  program.allowExcessArguments(true);
  program.action((_opts: unknown, cmd: Command) => {
    if (cmd.args.length > 0) {
      process.stderr.write(
        `berth: unknown command: berth ${cmd.args[0]}\n\nRun 'berth --help' for more information\n`,
      );
      return onExit(1);
    }
    if (program.opts<GlobalOpts>().version) {
      const b = clientBuild();
      process.stdout.write(`Berth version ${b.version}, build ${b.gitCommit}\n`);
      return onExit(0);
    }
    program.outputHelp();
    onExit(0);
  });
  return { program, registrar };
}

/** Maps commander's parse errors on the program itself to docker's messages and exit codes. */
function usageError(err: CommanderError, argv: string[]): number {
  if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return 0;
  if (err.code === 'commander.unknownCommand') {
    const name = argv.find((a) => !a.startsWith('-')) ?? '';
    process.stderr.write(
      `berth: unknown command: berth ${name}\n\nRun 'berth --help' for more information\n`,
    );
    return 1;
  }
  const flag = /'([^']+)'/.exec(err.message)?.[1];
  if (err.code === 'commander.unknownOption' && flag) {
    process.stderr.write(`unknown flag: ${flag}\nSee 'berth --help'.\n`);
  } else {
    process.stderr.write(`${err.message.replace(/^error: /, '')}\nSee 'berth --help'.\n`);
  }
  return 125;
}

/** Routes parse errors: the program's own, or a command's with that command's usage. */
function handleParseErrors(cmd: Command, isRoot: boolean, argv: readonly string[]): void {
  cmd.configureOutput({ writeErr: () => {} });
  cmd.configureHelp({ formatHelp });
  cmd.exitOverride((err) => {
    throw isRoot ? err : flagError(cmd, err, argv);
  });
  for (const sub of cmd.commands) handleParseErrors(sub, false, argv);
}

/**
 * The command word in argv (the first operand not taken by a global flag),
 * or undefined when there is none or it is `help`: then every command is built.
 */
export function commandWord(argv: readonly string[]): string | undefined {
  const word = argv.find(
    (arg, i) => !arg.startsWith('-') && (i === 0 || !GLOBAL_VALUE_FLAGS.has(argv[i - 1]!)),
  );
  return word === 'help' ? undefined : word;
}

/** The program for argv: only its command when that names one, else all of them. */
function programFor(
  argv: readonly string[],
  onExit: (code: number) => void,
): { program: Command; registrar: Registrar } {
  const word = commandWord(argv);
  if (word !== undefined) {
    const built = buildProgram(onExit, word);
    if (built.registrar.matched) return built;
  }
  return buildProgram(onExit);
}

/** Runs the CLI on argv (without node and script) and resolves with the exit code. */
export async function main(argv: string[]): Promise<number> {
  restoreExtraCaCerts();
  return new Promise<number>((resolve) => {
    const { program, registrar } = programFor(argv, resolve);
    const args = normalizeBoolFlags(argv, registrar.boolFlags, GLOBAL_VALUE_FLAGS);
    handleParseErrors(program, true, args);
    program.parseAsync(args, { from: 'user' }).catch((err: unknown) => {
      if (err instanceof CommanderError) return resolve(usageError(err, argv));
      if (!isSilent(err)) process.stderr.write(`${errorText(err)}\n`);
      resolve(exitCodeOf(err));
    });
  });
}
