import { Command, Option } from 'commander';
import { BerthError } from '../core/errors.js';
import { createLogger, isLogLevel, type Logger } from '../core/logger.js';
import { checkRegistry } from './check.js';
import { type ConfigOverrides, loadRegistryConfig } from './config.js';
import { createGarbageCollector } from './gc/collector.js';
import { openRegistry, startRegistryServer } from './server.js';

interface CommonOptions {
  config?: string;
  root?: string;
  logLevel?: string;
}

function loggerFor(level: string | undefined, fallback: string): Logger {
  const chosen = level ?? fallback;
  if (!isLogLevel(chosen)) throw new BerthError('InvalidArgument', `unknown log level ${chosen}`);
  return createLogger({ level: chosen });
}

async function serve(options: CommonOptions & ConfigOverrides): Promise<void> {
  const config = await loadRegistryConfig(options.config, {
    ...(options.addr ? { addr: options.addr } : {}),
    ...(options.root ? { root: options.root } : {}),
    ...(options.auth ? { auth: options.auth } : {}),
  });
  const logger = loggerFor(options.logLevel, config.log.level);
  const server = await startRegistryServer(config, logger);
  const stop = (signal: string) => {
    logger.info('shutting down', { signal });
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

async function gc(options: CommonOptions & { dryRun?: boolean; deleteUntagged?: boolean }): Promise<void> {
  const config = await loadRegistryConfig(options.config, options.root ? { root: options.root } : {});
  const logger = loggerFor(options.logLevel, 'warn');
  const registry = await openRegistry(config, logger);
  try {
    const collector = createGarbageCollector({
      storage: registry.context.storage,
      metadata: registry.context.metadata,
      logger,
      gracePeriodMs: config.gc.gracePeriodSeconds * 1000,
    });
    const report = await collector.run({
      dryRun: options.dryRun ?? false,
      deleteUntagged: options.deleteUntagged ?? config.gc.deleteUntagged,
    });
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } finally {
    await registry.close();
  }
}

async function check(options: CommonOptions & { repair?: boolean }): Promise<void> {
  const config = await loadRegistryConfig(options.config, options.root ? { root: options.root } : {});
  const problems = await checkRegistry({
    root: config.root,
    database: config.database,
    repair: options.repair === true,
    uploadExpiryMs: config.uploads.expirySeconds * 1000,
  });
  if (problems.length === 0) {
    process.stdout.write(`${config.root}: no problems found\n`);
    return;
  }
  const rows = [
    ['AREA', 'SUBJECT', 'PROBLEM', 'ACTION'],
    ...problems.map((p) => [
      p.area,
      p.subject,
      p.problem,
      p.repaired ?? (options.repair ? 'left (push the image again)' : 'none (run with --repair)'),
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const row of rows)
    process.stdout.write(
      `${row.map((cell, i) => (i < row.length - 1 ? cell.padEnd(widths[i]! + 3) : cell)).join('')}\n`,
    );
  if (!problems.every((p) => p.repaired)) process.exitCode = 1;
}

function buildProgram(): Command {
  const program = new Command('berth-registry')
    .description('An OCI Distribution registry')
    .helpOption('-h, --help', 'print usage');
  program
    .command('serve')
    .description('Run the registry server')
    .option('--config <file>', 'YAML configuration file')
    .option('--addr <host:port>', 'address to listen on (default "127.0.0.1:5000")')
    .option('--root <dir>', 'storage root (default "/var/lib/berth-registry")')
    .addOption(new Option('--auth <mode>', 'authentication').choices(['none', 'htpasswd', 'token']))
    .option('-l, --log-level <level>', 'debug, info, warn, error or fatal')
    .action(serve);
  program
    .command('gc')
    .description('Collect garbage now (safe while a server runs on the same root)')
    .option('--config <file>', 'YAML configuration file')
    .option('--root <dir>', 'storage root')
    .option('--dry-run', 'report what would be deleted, delete nothing')
    .option('--delete-untagged', 'also delete manifests that no tag reaches')
    .option('-l, --log-level <level>', 'debug, info, warn, error or fatal')
    .action(gc);
  program
    .command('check')
    .description(
      'Verify blobs, manifests, tags and uploads against the metadata, SQLite or PostgreSQL (registry stopped)',
    )
    .option('--config <file>', 'YAML configuration file')
    .option('--root <dir>', 'storage root')
    .option('--repair', 'remove or correct what is orphaned, corrupt or stale')
    .action(check);
  return program;
}

/** Entry point of `berth-registry`. */
export async function main(argv: readonly string[]): Promise<void> {
  try {
    await buildProgram().parseAsync([...argv], { from: 'user' });
  } catch (err) {
    process.stderr.write(`berth-registry: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  }
}
