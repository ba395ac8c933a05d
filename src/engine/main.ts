import { Command, Option } from 'commander';
import { BerthError } from '../core/errors.js';
import { useLauncher } from '../core/launcher.js';
import { createLogger, isLogLevel, type Logger } from '../core/logger.js';
import { useRelaySocket } from '../runtime/relay-socket.js';
import { readBuildInfo } from './build-info.js';
import { loadDaemonConfig } from './config/load.js';
import { reloadDaemonConfig } from './config/reload.js';
import type { DaemonConfig, DaemonFlags } from './config/types.js';
import { Daemon } from './daemon.js';
import { systemdIsPid1 } from './host/facts.js';

const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];

/** dockerd accepts `--tls`, `--tls=true` and `--tls=false`. */
function parseBool(value: string | boolean): boolean {
  if (typeof value === 'boolean') return value;
  if (/^(1|t|true)$/i.test(value)) return true;
  if (/^(0|f|false)$/i.test(value)) return false;
  throw new BerthError('InvalidArgument', `invalid boolean value "${value}"`);
}

function buildCommand(): Command {
  return new Command('berthd')
    .description('A self-sufficient runtime for containers (Berth engine daemon)')
    .option('-H, --host <address>', 'daemon socket(s) to connect to (repeatable)', collect)
    .option('--data-root <dir>', 'root directory of persistent state (default "/var/lib/berth")')
    .option('--exec-root <dir>', 'root directory for execution state files (default "/run/berth")')
    .option('-p, --pidfile <file>', 'path to use for daemon PID file (default "/run/berth.pid")')
    .option('--config-file <file>', 'daemon configuration file (default "/etc/berth/daemon.json")')
    .addOption(new Option('-D, --debug [bool]', 'enable debug mode').argParser(parseBool))
    .option('-l, --log-level <level>', 'set the logging level (debug, info, warn, error, fatal)')
    .option('--bip <cidr>', 'specify default-bridge IP')
    .option('-b, --bridge <name>', 'attach containers to a network bridge ("none" for no default bridge)')
    .option('-G, --group <name>', 'group for the unix socket (default "berth")')
    .addOption(new Option('--tls [bool]', 'use TLS; implied by --tlsverify').argParser(parseBool))
    .addOption(new Option('--tlsverify [bool]', 'use TLS and verify the remote').argParser(parseBool))
    .option('--tlscacert <file>', 'trust certs signed only by this CA')
    .option('--tlscert <file>', 'path to TLS certificate file')
    .option('--tlskey <file>', 'path to TLS key file')
    .addOption(new Option('--ip-forward [bool]', 'enable net.ipv4.ip_forward').argParser(parseBool))
    .addOption(new Option('--iptables [bool]', 'enable addition of iptables rules').argParser(parseBool))
    .option('-s, --storage-driver <name>', 'storage driver to use')
    .option('--default-runtime <name>', 'default OCI runtime for containers')
    .addOption(
      new Option('--live-restore [bool]', 'keep containers alive during daemon downtime').argParser(
        parseBool,
      ),
    )
    .option('--insecure-registry <registry>', 'enable insecure registry communication (repeatable)', collect)
    .option('--registry-mirror <url>', 'preferred registry mirror (repeatable)', collect)
    .option('--exec-opt <option>', 'runtime execution options (repeatable)', collect)
    .option('--log-driver <name>', 'default driver for container logs')
    .option('--log-opt <key=value>', 'default log driver options for containers (repeatable)', collect)
    .addOption(new Option('--experimental [bool]', 'enable experimental features').argParser(parseBool))
    .option('-v, --version', 'print version information and quit')
    .helpOption('-h, --help', 'print usage')
    .allowExcessArguments(false);
}

type Opts = Record<string, unknown>;

function toFlags(o: Opts): DaemonFlags {
  const flags: DaemonFlags = {};
  const set = <K extends keyof DaemonFlags>(key: K, value: unknown) => {
    if (value !== undefined) flags[key] = value as DaemonFlags[K];
  };
  set('hosts', o.host);
  set('dataRoot', o.dataRoot);
  set('execRoot', o.execRoot);
  set('pidfile', o.pidfile);
  set('configFile', o.configFile);
  set('debug', o.debug);
  set('logLevel', o.logLevel);
  set('bip', o.bip);
  set('bridge', o.bridge);
  set('group', o.group);
  set('tls', o.tls);
  set('tlsVerify', o.tlsverify);
  set('tlsCaCert', o.tlscacert);
  set('tlsCert', o.tlscert);
  set('tlsKey', o.tlskey);
  // dockerd: an explicit --tls=false is the opt-in to plain TCP.
  if (o.tls === false) flags.insecureTcp = true;
  set('ipForward', o.ipForward);
  set('iptables', o.iptables);
  set('storageDriver', o.storageDriver);
  set('defaultRuntime', o.defaultRuntime);
  set('liveRestore', o.liveRestore);
  set('insecureRegistries', o.insecureRegistry);
  set('registryMirrors', o.registryMirror);
  set('execOpts', o.execOpt);
  set('logDriver', o.logDriver);
  set('logOpts', o.logOpt);
  set('experimental', o.experimental);
  return flags;
}

/**
 * Signal handling, installed before start-up so that a SIGTERM arriving
 * while the daemon is still starting (its socket may already answer) is
 * honoured once start-up is done instead of killing it half-way.
 */
function installSignals(flags: DaemonFlags, log: Logger, initial: DaemonConfig, systemd: boolean) {
  let current = initial;
  let daemon: Daemon | undefined;
  let requested: string | undefined;
  let stopping = false;
  const stop = async (signal: string) => {
    if (!daemon) {
      requested = signal;
      return;
    }
    if (stopping) return;
    stopping = true;
    log.info(`Processing signal '${signal}'`);
    await daemon.stop();
    log.info('Daemon shutdown complete');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('terminated'));
  process.on('SIGINT', () => void stop('interrupt'));
  process.on('SIGHUP', () => {
    const running = daemon;
    if (!running) return log.warn('SIGHUP during start-up ignored');
    reloadDaemonConfig(current, { flags, systemdIsPid1: systemd })
      .then(({ config, changed, ignored }) => {
        current = config;
        running.reload(current, changed);
        if (ignored.length)
          log.warn('Not reloadable while running; restart to apply', { keys: ignored.join(',') });
        log.info('Reloaded configuration', { changed: changed.join(',') || 'nothing' });
      })
      .catch((err: unknown) =>
        log.error('Error reloading configuration; keeping the running one', { error: err }),
      );
  });
  return {
    started: async (d: Daemon) => {
      daemon = d;
      if (requested) await stop(requested);
    },
  };
}

export async function main(argv: string[]): Promise<void> {
  const command = buildCommand();
  command.exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 125));
  command.parse(argv, { from: 'user' });
  const opts = command.opts<Opts>();
  if (opts.version) {
    const build = await readBuildInfo();
    process.stdout.write(`Berth version ${build.version}, build ${build.gitCommit}\n`);
    return;
  }
  if (typeof opts.logLevel === 'string' && !isLogLevel(opts.logLevel)) {
    process.stderr.write(`berthd: unable to parse logging level: ${opts.logLevel}\n`);
    process.exit(1);
  }
  const flags = toFlags(opts);
  const log = createLogger({ level: 'info' });
  const systemd = await systemdIsPid1();
  let config: DaemonConfig;
  try {
    config = await loadDaemonConfig({ flags, systemdIsPid1: systemd });
  } catch (err) {
    process.stderr.write(`berthd: ${(err as Error).message}\n`);
    process.exit(1);
  }
  log.setLevel(config.debug ? 'debug' : config.logLevel);
  if (process.getuid?.() !== 0) log.warn('berthd is not running as root; most operations will fail');
  // mount, ip, runc, CNI plugins… are run from a small process: forking berthd costs more.
  useLauncher();
  useRelaySocket(config.execRoot);
  try {
    const signals = installSignals(flags, log, config, systemd);
    const daemon = await Daemon.start(config, log);
    await signals.started(daemon);
    log.info('Daemon has completed initialization');
  } catch (err) {
    process.stderr.write(`berthd: failed to start daemon: ${(err as Error).message}\n`);
    process.exit(1);
  }
}
