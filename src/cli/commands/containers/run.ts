/** `berth run` (cli/command/container/run.go, the non-interactive path): create, attach, wait, start. */
import { FrameDecoder } from '../../../api/streams.js';
import { familiarString, parseNormalizedNamed, tagNameOnly } from '../../../images/reference.js';
import { ApiError } from '../../client.js';
import { type CommandSpec, collect } from '../../command-spec.js';
import type { CliContext } from '../../context.js';
import { StatusError } from '../../errors.js';
import { pullImage } from '../registry/pull-push.js';
import { declareNetworkFlags, type NetworkFlagOptions, networkFlagsBody } from './run-network-flags.js';

interface RunOptions extends NetworkFlagOptions {
  detach?: boolean;
  rm?: boolean;
  name?: string;
  env?: string[];
  entrypoint?: string;
  workdir?: string;
  user?: string;
  hostname?: string;
  network?: string;
  label?: string[];
  tty?: boolean;
  interactive?: boolean;
  pull?: string;
}

function createBody(image: string, command: string[], o: RunOptions): Record<string, unknown> {
  const labels = Object.fromEntries(
    (o.label ?? []).map((l) => [l.split('=')[0], l.slice(l.indexOf('=') + 1)]),
  );
  const net = networkFlagsBody(o);
  return {
    ...net.config,
    ...(net.networkingConfig ? { NetworkingConfig: net.networkingConfig } : {}),
    Image: image,
    Cmd: command.length ? command : null,
    ...(o.entrypoint !== undefined ? { Entrypoint: o.entrypoint === '' ? [''] : [o.entrypoint] } : {}),
    Env: o.env ?? [],
    WorkingDir: o.workdir ?? '',
    User: o.user ?? '',
    Hostname: o.hostname ?? '',
    Labels: labels,
    Tty: Boolean(o.tty),
    OpenStdin: Boolean(o.interactive),
    StdinOnce: Boolean(o.interactive),
    AttachStdin: Boolean(o.interactive) && !o.detach,
    AttachStdout: !o.detach,
    AttachStderr: !o.detach,
    HostConfig: { ...net.hostConfig, AutoRemove: Boolean(o.rm), NetworkMode: o.network ?? 'default' },
  };
}

/** Copies the container's output to ours: demultiplexed, or raw with a TTY. */
function relayOutput(socket: NodeJS.ReadableStream, tty: boolean): Promise<void> {
  const decoder = new FrameDecoder();
  socket.on('data', (chunk: Buffer) => {
    if (tty) process.stdout.write(chunk);
    else
      for (const f of decoder.push(chunk))
        (f.stream === 2 ? process.stderr : process.stdout).write(f.payload);
  });
  return new Promise((resolve) => {
    socket.on('end', resolve);
    socket.on('close', resolve);
  });
}

async function runContainer(
  ctx: CliContext,
  image: string,
  command: string[],
  o: RunOptions,
): Promise<number> {
  const client = ctx.client();
  const pull = o.pull ?? 'missing';
  if (!['always', 'missing', 'never'].includes(pull)) {
    throw new StatusError(
      `berth: invalid pull option: '${pull}': must be one of "always", "missing" or "never"`,
      125,
    );
  }
  const create = () =>
    client.json<{ Id: string }>('POST', '/containers/create', {
      query: { name: o.name },
      body: createBody(image, command, o),
    });
  let created: { Id: string };
  try {
    if (pull === 'always') await pullForRun(ctx, image);
    try {
      created = await create();
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 404 && /No such image/.test(err.message))) throw err;
      if (pull !== 'missing') throw err;
      ctx.err(`Unable to find image '${familiarString(tagNameOnly(parseNormalizedNamed(image)))}' locally\n`);
      await pullForRun(ctx, image);
      created = await create();
    }
  } catch (err) {
    throw new StatusError(`berth: ${err instanceof Error ? err.message : String(err)}`, 125);
  }
  if (o.detach) {
    await client.request('POST', `/containers/${created.Id}/start`).then((r) => r.resume());
    ctx.out(`${created.Id}\n`);
    return 0;
  }
  const socket = await client.hijack(`/containers/${created.Id}/attach`, {
    stream: true,
    stdout: true,
    stderr: true,
    stdin: Boolean(o.interactive),
  });
  if (o.interactive) process.stdin.pipe(socket);
  const output = relayOutput(socket, Boolean(o.tty));
  const waited = client
    .request('POST', `/containers/${created.Id}/wait`, {
      query: { condition: o.rm ? 'removed' : 'next-exit' },
    })
    .then(async (res) => {
      let text = '';
      for await (const chunk of res) text += String(chunk);
      return (JSON.parse(text) as { StatusCode: number }).StatusCode;
    });
  try {
    await client.request('POST', `/containers/${created.Id}/start`).then((r) => r.resume());
  } catch (err) {
    socket.destroy();
    throw new StatusError(`berth: ${err instanceof Error ? err.message : String(err)}`, 126);
  }
  const [code] = await Promise.all([waited, output]);
  return code;
}

/** `run`'s pull: progress on stderr, as docker's (stdout is the container's). */
async function pullForRun(ctx: CliContext, image: string): Promise<void> {
  const stderr = process.stderr;
  await pullImage(ctx, image, {
    out: {
      stream: stderr,
      isTerminal: stderr.isTTY === true,
      columns: stderr.isTTY ? stderr.columns : undefined,
    },
  });
}

export const runSpec: CommandSpec<RunOptions> = {
  name: 'run',
  usage: '[OPTIONS] IMAGE [COMMAND] [ARG...]',
  description: 'Create and run a new container from an image',
  args: { min: 1 },
  options: (cmd) => {
    cmd
      .option('-d, --detach', 'Run container in background and print container ID')
      .option('--rm', 'Automatically remove the container and its associated anonymous volumes when it exits')
      .option('--name <string>', 'Assign a name to the container')
      .option('-e, --env <list>', 'Set environment variables', collect)
      .option('--entrypoint <string>', 'Overwrite the default ENTRYPOINT of the image')
      .option('-w, --workdir <string>', 'Working directory inside the container')
      .option('-u, --user <string>', 'Username or UID (format: "<name|uid>[:<group|gid>]")')
      .option('-h, --hostname <string>', 'Container host name')
      .option('--network <network>', 'Connect a container to a network')
      .option('-l, --label <list>', 'Set meta data on a container', collect)
      .option('-t, --tty', 'Allocate a pseudo-TTY')
      .option('-i, --interactive', 'Keep STDIN open even if not attached')
      .option('--pull <string>', 'Pull image before running ("always", "missing", "never")', 'missing');
    declareNetworkFlags(cmd);
    cmd.passThroughOptions();
  },
  run: (ctx, args, opts) => runContainer(ctx, args[0]!, args.slice(1), opts),
};
