import { Command, CommanderError, Option } from 'commander';
import { clientBuild } from './build.js';
import { ApiError, ConnectionError } from './client.js';
import { eventsCommand } from './commands/events.js';
import { infoCommand } from './commands/info.js';
import { versionCommand } from './commands/version.js';
import { type CliContext, createContext } from './context.js';
import { resolveEndpoint } from './hosts.js';

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

/** A command's outcome: its exit code, as docker's rules give it. */
type Action = (ctx: CliContext, ...args: never[]) => Promise<number>;

const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];

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

function addSystemCommands(
  parent: Command,
  program: Command,
  run: (action: Action, ...args: unknown[]) => void,
) {
  parent
    .command('version')
    .description('Show the Berth version information')
    .option('-f, --format <string>', 'Format output using a custom template')
    .action((opts) => run(versionCommand as Action, opts));
  parent
    .command('info')
    .description('Display system-wide information')
    .option('-f, --format <string>', 'Format output using a custom template')
    .action((opts) => run(infoCommand as Action, opts));
  parent
    .command('events')
    .description('Get real time events from the server')
    .option('--since <string>', 'Show all events created since timestamp')
    .option('--until <string>', 'Stream events until this timestamp')
    .option('-f, --filter <filter>', 'Filter output based on conditions provided', collect)
    .option('--format <string>', 'Format output using a custom template')
    .action((opts) => run(eventsCommand as Action, opts));
  void program;
}

export function buildProgram(onExit: (code: number) => void): Command {
  const program = new Command('berth')
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
    .showSuggestionAfterError(false);

  const run = (action: Action, ...args: unknown[]) => {
    const ctx = contextFrom(program);
    return (action as (ctx: CliContext, ...a: unknown[]) => Promise<number>)(ctx, ...args).then(onExit);
  };
  addSystemCommands(program, program, run);
  const system = program.command('system').description('Manage Berth');
  addSystemCommands(system, program, run);

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
  return program;
}

/** Maps commander's parse errors to docker's messages and exit codes. */
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

export async function main(argv: string[]): Promise<number> {
  return new Promise<number>((resolve) => {
    const program = buildProgram(resolve);
    program.exitOverride();
    program.configureOutput({ writeErr: () => {} });
    for (const sub of program.commands) {
      sub.exitOverride();
      sub.configureOutput({ writeErr: () => {} });
      for (const inner of sub.commands) {
        inner.exitOverride();
        inner.configureOutput({ writeErr: () => {} });
      }
    }
    program.parseAsync(argv, { from: 'user' }).catch((err: unknown) => {
      if (err instanceof CommanderError) return resolve(usageError(err, argv));
      if (err instanceof ApiError) {
        process.stderr.write(`Error response from daemon: ${err.message}\n`);
        return resolve(1);
      }
      if (err instanceof ConnectionError) {
        process.stderr.write(`${err.message}\n`);
        return resolve(1);
      }
      process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
      resolve(1);
    });
  });
}
