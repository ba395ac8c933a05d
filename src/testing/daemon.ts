import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { socketAccepts } from '../core/net.js';
import { nodeFlagsOf } from '../registry/testing/process.js';
import { removeDaemonNetworks, withTestNetwork } from './daemon-network.js';
import { bin } from './paths.js';

export interface TestDaemon {
  dir: string;
  socket: string;
  host: string;
  dataRoot: string;
  execRoot: string;
  pidfile: string;
  configFile: string;
  process: ChildProcess;
  output(): string;
  /**
   * SIGTERM, wait for exit, remove what it made on the host (networks,
   * chains, namespaces; kept with keepNetworks for a restart) and the temp dir.
   */
  stop(options?: { keepNetworks?: boolean }): Promise<void>;
}

export interface StartOptions {
  config?: unknown;
  /** Raw daemon.json text, for syntax-error cases. */
  configText?: string;
  args?: string[];
  dir?: string;
  /** The exec root (default <dir>/exec), e.g. off a small test filesystem as /run is in production. */
  execRoot?: string;
  /** Resolve when the process exits instead of when the socket answers. */
  expectExit?: boolean;
}

export function waitExit(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/** Whether another live process holds the pidfile (a berthd already running on this data root). */
async function pidfileHolderAlive(pidfile: string, ownPid: number | undefined): Promise<boolean> {
  const pid = Number((await readFile(pidfile, 'utf8').catch(() => '')).trim());
  if (!Number.isInteger(pid) || pid <= 0 || pid === ownPid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Starts a real berthd on a temp socket, data root and exec root. */
export async function startDaemon(options: StartOptions = {}): Promise<TestDaemon> {
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'berth-test-')));
  const socket = join(dir, 'berth.sock');
  const execRoot = options.execRoot ?? join(dir, 'exec');
  const configFile = join(dir, 'daemon.json');
  // A reused dir keeps its daemon.json unless the caller gives a new one.
  // `hosts` in the config replaces -H (dockerd refuses both); the test socket joins them.
  const configHosts = (options.config as { hosts?: unknown } | undefined)?.hosts;
  const hostsInConfig = Array.isArray(configHosts);
  if (!options.dir || options.config !== undefined || options.configText !== undefined) {
    const given = (options.config ?? {}) as Record<string, unknown>;
    const config = await withTestNetwork(
      hostsInConfig ? { ...given, hosts: [`unix://${socket}`, ...(configHosts as unknown[])] } : given,
      options.args ?? [],
    );
    const text = options.configText ?? JSON.stringify(config);
    await writeFile(configFile, text);
  }
  const daemonArgs = [
    ...(hostsInConfig ? [] : ['-H', `unix://${socket}`]),
    '--data-root',
    join(dir, 'data'),
    '--exec-root',
    execRoot,
    '--pidfile',
    join(dir, 'berthd.pid'),
    '--config-file',
    configFile,
    ...(options.args ?? []),
  ];
  // With the node flags of bin/berthd's #! line, as an installed berthd runs.
  const child = spawn(process.execPath, [...nodeFlagsOf(bin('berthd')), bin('berthd'), ...daemonArgs], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  const daemon: TestDaemon = {
    dir,
    socket,
    host: `unix://${socket}`,
    dataRoot: join(dir, 'data'),
    execRoot,
    pidfile: join(dir, 'berthd.pid'),
    configFile,
    process: child,
    output: () => output,
    stop: async (stopOptions = {}) => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await Promise.race([waitExit(child), sleep(10_000)]);
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      }
      // A daemon that failed to start may have made its networks first, or may share
      // its data root with a live daemon (which then keeps them).
      const shared = await pidfileHolderAlive(join(dir, 'berthd.pid'), child.pid);
      if (!stopOptions.keepNetworks && !shared) await removeDaemonNetworks(join(dir, 'data')).catch(() => {});
      if (!options.dir) await rm(dir, { recursive: true, force: true });
    },
  };
  if (options.expectExit) {
    await waitExit(child);
    return daemon;
  }
  for (const end = Date.now() + 30_000; Date.now() < end; ) {
    if (child.exitCode !== null || child.signalCode !== null) {
      await daemon.stop();
      throw new Error(`berthd exited with ${child.exitCode ?? child.signalCode}:\n${output}`);
    }
    if (
      await stat(socket).then(
        () => socketAccepts(socket),
        () => false,
      )
    )
      return daemon;
    await sleep(25);
  }
  await daemon.stop();
  throw new Error(`berthd did not start listening within 30 s:\n${output}`);
}
