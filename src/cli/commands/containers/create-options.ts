/** The flags `berth create` and `berth run` share, and the create body they make (cli/command/container/opts.go). */
import { type FileHandle, open, rm } from 'node:fs/promises';
import type { Command } from 'commander';
import { familiarString, parseNormalizedNamed, tagNameOnly } from '../../../images/reference.js';
import { ApiError } from '../../client.js';
import { collect } from '../../command-spec.js';
import type { CliContext } from '../../context.js';
import { StatusError } from '../../errors.js';
import { pullImage } from '../registry/pull-push.js';
import { expandEnv, parseKeyValueFile } from './env-file.js';
import { declareNetworkFlags, type NetworkFlagOptions, networkFlagsBody } from './run-network-flags.js';
import { declareRuntimeFlags, type RuntimeFlagOptions, runtimeFlagsBody } from './run-runtime-flags.js';

export interface CreateOptions extends NetworkFlagOptions, RuntimeFlagOptions {
  /** --pull always|missing|never. */
  pull?: string;
  /** -q: no pull progress. */
  quiet?: boolean;
  platform?: string;
  cidfile?: string;
  name?: string;
  env?: string[];
  envFile?: string[];
  entrypoint?: string;
  workdir?: string;
  user?: string;
  hostname?: string;
  network?: string;
  label?: string[];
  labelFile?: string[];
  tty?: boolean;
  interactive?: boolean;
  attach?: string[];
  rm?: boolean;
  logDriver?: string;
  logOpt?: string[];
  init?: boolean;
  privileged?: boolean;
  stopSignal?: string;
  stopTimeout?: string;
}

export function declareCreateOptions(cmd: Command): void {
  cmd
    .option('--name <string>', 'Assign a name to the container')
    .option('-e, --env <list>', 'Set environment variables', collect)
    .option('--env-file <list>', 'Read in a file of environment variables', collect)
    .option('--entrypoint <string>', 'Overwrite the default ENTRYPOINT of the image')
    .option('-w, --workdir <string>', 'Working directory inside the container')
    .option('-u, --user <string>', 'Username or UID (format: "<name|uid>[:<group|gid>]")')
    .option('-h, --hostname <string>', 'Container host name')
    .option('--network <network>', 'Connect a container to a network')
    .option('-l, --label <list>', 'Set meta data on a container', collect)
    .option('--label-file <list>', 'Read in a line delimited file of labels', collect)
    .option('-t, --tty', 'Allocate a pseudo-TTY')
    .option('-i, --interactive', 'Keep STDIN open even if not attached')
    .option('-a, --attach <list>', 'Attach to STDIN, STDOUT or STDERR', collect)
    .option('--rm', 'Automatically remove the container and its associated anonymous volumes when it exits')
    .option('--log-driver <string>', 'Logging driver for the container')
    .option('--log-opt <list>', 'Log driver options', collect)
    .option('--init', 'Run an init inside the container that forwards signals and reaps processes')
    .option('--privileged', 'Give extended privileges to this container')
    .option('--stop-signal <string>', 'Signal to stop the container')
    .option('--stop-timeout <int>', 'Timeout (in seconds) to stop a container')
    .option('--pull <string>', 'Pull image before running ("always", "missing", "never")', 'missing')
    .option('-q, --quiet', 'Suppress the pull output')
    .option('--platform <string>', 'Set platform if server is multi-platform capable')
    .option('--cidfile <string>', 'Write the container ID to the file');
  declareNetworkFlags(cmd);
  declareRuntimeFlags(cmd);
}

/** Which streams to attach: -a as given, else stdout and stderr (and stdin with -i); none when detached. */
export function attachedStreams(
  o: CreateOptions,
  detach: boolean,
): { stdin: boolean; stdout: boolean; stderr: boolean } {
  if (detach) return { stdin: false, stdout: false, stderr: false };
  if (o.attach?.length) {
    const wanted = o.attach.map((s) => s.toLowerCase());
    for (const s of wanted) {
      if (!['stdin', 'stdout', 'stderr'].includes(s))
        throw new StatusError(
          `invalid argument "${s}" for "-a, --attach" flag: valid streams are STDIN, STDOUT and STDERR`,
          125,
        );
    }
    return {
      stdin: wanted.includes('stdin'),
      stdout: wanted.includes('stdout'),
      stderr: wanted.includes('stderr'),
    };
  }
  return { stdin: Boolean(o.interactive), stdout: true, stderr: true };
}

function keyValues(entries: readonly string[]): Record<string, string> {
  return Object.fromEntries(
    entries.map((l) => {
      const i = l.indexOf('=');
      return i < 0 ? [l, ''] : [l.slice(0, i), l.slice(i + 1)];
    }),
  );
}

export async function createBody(
  image: string,
  command: string[],
  o: CreateOptions,
  detach: boolean,
  cliCommand: 'run' | 'create' = 'run',
): Promise<Record<string, unknown>> {
  const streams = attachedStreams(o, detach);
  const envFromFiles: string[] = [];
  const labelsFromFiles: string[] = [];
  try {
    for (const f of o.envFile ?? []) envFromFiles.push(...(await parseKeyValueFile(f, true)));
    for (const f of o.labelFile ?? []) labelsFromFiles.push(...(await parseKeyValueFile(f, false)));
  } catch (err) {
    throw new StatusError(`berth: ${err instanceof Error ? err.message : String(err)}`, 125);
  }
  const logOpts = keyValues(o.logOpt ?? []);
  const stopTimeout = o.stopTimeout === undefined ? undefined : Number(o.stopTimeout);
  const net = networkFlagsBody(o);
  const runtime = await runtimeFlagsBody(o, cliCommand);
  const restart = runtime.hostConfig['RestartPolicy'] as { Name: string } | undefined;
  if (o.rm && restart && restart.Name !== '' && restart.Name !== 'no')
    throw new StatusError(
      `berth: conflicting options: cannot specify both --restart and --rm\n\nRun 'berth ${cliCommand} --help' for more information`,
      125,
    );
  return {
    ...net.config,
    ...runtime.config,
    ...(net.networkingConfig ? { NetworkingConfig: net.networkingConfig } : {}),
    Image: image,
    Cmd: command.length ? command : null,
    ...(o.entrypoint !== undefined ? { Entrypoint: o.entrypoint === '' ? [''] : [o.entrypoint] } : {}),
    Env: [...envFromFiles, ...expandEnv(o.env ?? [])],
    WorkingDir: o.workdir ?? '',
    User: o.user ?? '',
    Hostname: o.hostname ?? '',
    Labels: { ...keyValues(labelsFromFiles), ...keyValues(o.label ?? []) },
    Tty: Boolean(o.tty),
    OpenStdin: Boolean(o.interactive),
    StdinOnce: Boolean(o.interactive) && streams.stdin,
    AttachStdin: streams.stdin,
    AttachStdout: streams.stdout,
    AttachStderr: streams.stderr,
    ...(o.stopSignal ? { StopSignal: o.stopSignal } : {}),
    ...(stopTimeout !== undefined ? { StopTimeout: stopTimeout } : {}),
    HostConfig: {
      ...net.hostConfig,
      ...runtime.hostConfig,
      AutoRemove: Boolean(o.rm),
      NetworkMode: o.network ?? 'default',
      ...(o.init ? { Init: true } : {}),
      ...(o.privileged ? { Privileged: true } : {}),
      LogConfig: { Type: o.logDriver ?? '', Config: logOpts },
    },
  };
}

/** POST /containers/create; "Unable to find image" first when the image is missing, as docker prints. */
export async function createContainer(
  ctx: CliContext,
  image: string,
  body: Record<string, unknown>,
  name: string | undefined,
  failureCode: number,
  options: Pick<CreateOptions, 'pull' | 'quiet' | 'platform' | 'cidfile'> = {},
): Promise<{ Id: string; Warnings?: string[] }> {
  const { pull = 'missing', quiet = false, platform, cidfile } = options;
  if (!['always', 'missing', 'never'].includes(pull)) {
    throw new StatusError(
      `berth: invalid pull option: '${pull}': must be one of "always", "missing" or "never"`,
      125,
    );
  }
  const create = () =>
    ctx.client().json<{ Id: string; Warnings?: string[] }>('POST', '/containers/create', {
      query: { name, ...(platform ? { platform } : {}) },
      body,
    });
  const pullIt = () => pullToStderr(ctx, image, { quiet, platform });
  const idFile = cidfile ? await openCidFile(cidfile, failureCode) : undefined;
  try {
    if (pull === 'always') await pullIt();
    let created: { Id: string; Warnings?: string[] };
    try {
      created = await create();
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 404 && /No such image/.test(err.message))) throw err;
      ctx.err(`Unable to find image '${familiarString(tagNameOnly(parseNormalizedNamed(image)))}' locally\n`);
      if (pull !== 'missing') throw err;
      await pullIt();
      created = await create();
    }
    for (const w of created.Warnings ?? []) ctx.err(`WARNING: ${w}\n`);
    await idFile?.write(created.Id);
    return created;
  } catch (err) {
    await idFile?.discard();
    if (err instanceof StatusError) throw err;
    // docker run words its own failures as "docker: …" with a pointer to its help; docker create does not.
    const text =
      err instanceof ApiError
        ? `Error response from daemon: ${err.message}`
        : err instanceof Error
          ? err.message
          : String(err);
    throw new StatusError(
      failureCode === 125 ? `berth: ${text}\n\nRun 'berth run --help' for more information` : text,
      failureCode,
    );
  }
}

/**
 * docker's --cidfile: the file must not exist (another container may own
 * it); it is made before create, gets the ID after, and goes if create fails.
 */
async function openCidFile(
  path: string,
  failureCode: number,
): Promise<{ write(id: string): Promise<void>; discard(): Promise<void> }> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'wx', 0o644);
  } catch (err) {
    const text =
      (err as NodeJS.ErrnoException).code === 'EEXIST'
        ? `container ID file found, make sure the other container isn't running or delete ${path}`
        : `failed to create the container ID file: ${(err as Error).message}`;
    throw new StatusError(
      failureCode === 125 ? `berth: ${text}\n\nRun 'berth run --help' for more information` : text,
      failureCode,
    );
  }
  return {
    write: async (id) => {
      await handle.writeFile(id);
      await handle.close();
    },
    discard: async () => {
      await handle.close().catch(() => {});
      await rm(path, { force: true });
    },
  };
}

/** The pull of run/create: progress on stderr, as docker's (stdout is the container's). */
async function pullToStderr(
  ctx: CliContext,
  image: string,
  options: { quiet: boolean; platform: string | undefined },
): Promise<void> {
  const stderr = process.stderr;
  await pullImage(ctx, image, {
    quiet: options.quiet,
    ...(options.platform ? { platform: options.platform } : {}),
    out: {
      stream: stderr,
      isTerminal: stderr.isTTY === true,
      columns: stderr.isTTY ? stderr.columns : undefined,
    },
  });
}

/** docker's runStartContainerErr: 127 when the command is missing, 126 when it cannot run, else 125. */
export function startFailureCode(message: string): number {
  if (/executable file not found|no such file or directory/.test(message)) return 127;
  if (/permission denied|is a directory/.test(message)) return 126;
  return 125;
}
