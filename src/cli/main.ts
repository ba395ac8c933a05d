import { Command, CommanderError, Option } from 'commander';
import { clientBuild } from './build.js';
import { ApiClient } from './client.js';
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
import { type Endpoint, resolveEndpoint } from './hosts.js';
import { flagError } from './usage-errors.js';
import { warmUp } from './warm-up.js';

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

function contextFrom(program: Command, early: ApiClient | undefined): CliContext {
  const g = program.opts<GlobalOpts>();
  const endpoint = resolveEndpoint({
    host: g.host,
    tls: g.tls,
    tlsVerify: g.tlsverify,
    tlsCaCert: g.tlscacert,
    tlsCert: g.tlscert,
    tlsKey: g.tlskey,
  });
  // The client that pinged ahead, when the flags as parsed name its daemon.
  const same =
    early !== undefined &&
    endpoint.tls === undefined &&
    endpoint.socketPath !== undefined &&
    endpoint.socketPath === early.endpoint.socketPath;
  return createContext(endpoint, g.debug ?? false, same ? early : undefined);
}

/**
 * The daemon's endpoint as argv's global flags name it, read before
 * commander parses them, for the ping ahead (see earlyClient); undefined
 * when the flags are anything but -H/--host, -D and -l.
 */
export function earlyEndpoint(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): Endpoint | undefined {
  let host: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('-')) break;
    if (arg === '-H' || arg === '--host') host = argv[++i];
    else if (arg.startsWith('--host=')) host = arg.slice('--host='.length);
    else if (arg.startsWith('-H')) host = arg.slice(2);
    else if (arg === '-l' || arg === '--log-level') i++;
    else if (!(arg === '-D' || arg === '--debug' || arg.startsWith('--log-level='))) return undefined;
  }
  try {
    return resolveEndpoint({ host, env });
  } catch {
    return undefined;
  }
}

/**
 * A client that has sent its version ping before the arguments are
 * parsed: over a Unix socket the daemon answers while commander builds and
 * parses, and the command's first request needs no round trip of its own.
 */
function earlyClient(argv: readonly string[]): ApiClient | undefined {
  if (commandWord(argv) === undefined || argv.includes('--help') || argv.includes('-h')) return undefined;
  const endpoint = earlyEndpoint(argv);
  if (endpoint?.socketPath === undefined || endpoint.tls) return undefined;
  const client = new ApiClient(endpoint);
  client.pingAhead();
  return client;
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
 * What one run of the CLI gives the program it parses with: where a
 * command's exit code goes, the client that pinged ahead, and argv (for
 * usage messages). Set when the run starts: a program can be built before
 * (see programAhead).
 */
interface Session {
  onExit: (code: number) => void;
  early: ApiClient | undefined;
  argv: readonly string[];
}

/** A program and what it was built with. */
interface Built {
  program: Command;
  registrar: Registrar;
  session: Session;
}

/**
 * Builds the program; each command family registers itself. A command's
 * exit code goes to session.onExit. With `only`, just the top-level command
 * or group of that name is built (see Registrar).
 */
function buildProgram(session: Session, only?: string): Built {
  const program = createProgram();
  const registrar = new Registrar(
    async (action) => session.onExit(await action(contextFrom(program, session.early))),
    only,
  );
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
      return session.onExit(1);
    }
    if (program.opts<GlobalOpts>().version) {
      const b = clientBuild();
      process.stdout.write(`Berth version ${b.version}, build ${b.gitCommit}\n`);
      return session.onExit(0);
    }
    program.outputHelp();
    session.onExit(0);
  });
  handleParseErrors(program, true, session);
  return { program, registrar, session };
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
function handleParseErrors(cmd: Command, isRoot: boolean, session: Session): void {
  cmd.configureOutput({ writeErr: () => {} });
  cmd.configureHelp({ formatHelp });
  cmd.exitOverride((err) => {
    throw isRoot ? err : flagError(cmd, err, session.argv);
  });
  for (const sub of cmd.commands) handleParseErrors(sub, false, session);
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

/**
 * Programs built before the run that uses them: the start-up snapshot holds
 * those of `run` and `version` (see prepareSnapshot), which saves building
 * run's hundred options, and the code that builds version's, on every start.
 * A program parses once: the first run of its command takes it.
 */
const programsAhead = new Map<string, Built>();

/** The commands whose programs the start-up snapshot holds. */
const BUILT_AHEAD = ['run', 'version'];

/** The program for argv: only its command when that names one, else all of them. */
function programFor(argv: readonly string[], session: Session): Built {
  const word = commandWord(argv);
  const ahead = word === undefined ? undefined : programsAhead.get(word);
  if (word !== undefined && ahead !== undefined) {
    programsAhead.delete(word);
    Object.assign(ahead.session, session);
    return ahead;
  }
  if (word !== undefined) {
    const built = buildProgram(session, word);
    if (built.registrar.matched) return built;
  }
  return buildProgram(session);
}

/**
 * Readies the start-up snapshot (scripts/bundle-cli.mjs): runs `berth run`
 * once against a stand-in daemon listening on socketPath (warm-up.ts
 * serveStandIn, in another process), so that its code is compiled in the
 * snapshot, and builds the programs of BUILT_AHEAD.
 */
export async function prepareSnapshot(socketPath: string): Promise<void> {
  // The build's record is read now, into the snapshot: `berth version` then
  // has no file to read (the build writes it before it bundles).
  clientBuild();
  await warmUp(main, socketPath);
  for (const word of BUILT_AHEAD) {
    programsAhead.set(word, buildProgram({ onExit: () => undefined, early: undefined, argv: [] }, word));
  }
}

/** Runs the CLI on argv (without node and script) and resolves with the exit code. */
export async function main(argv: string[]): Promise<number> {
  restoreExtraCaCerts();
  const early = earlyClient(argv);
  // One turn of the event loop sends the ping: its connection is made by now.
  if (early) await new Promise((resolve) => setImmediate(resolve));
  return new Promise<number>((resolve) => {
    const { program, registrar, session } = programFor(argv, { onExit: resolve, early, argv: [] });
    const args = normalizeBoolFlags(argv, registrar.boolFlags, GLOBAL_VALUE_FLAGS);
    session.argv = args;
    program.parseAsync(args, { from: 'user' }).catch((err: unknown) => {
      if (err instanceof CommanderError) return resolve(usageError(err, argv));
      if (!isSilent(err)) process.stderr.write(`${errorText(err)}\n`);
      resolve(exitCodeOf(err));
    });
  });
}
