/** `berth attach` and `berth start` (cli/command/container/attach.go, start.go). */
import { escapePath } from '../../client.js';
import type { CommandSpec } from '../../command-spec.js';
import type { CliContext } from '../../context.js';
import { errorText, StatusError } from '../../errors.js';
import { checkTty, followTerminalSize, proxySignals, streamHijacked, waitStatus } from './hijack-io.js';

interface ContainerFacts {
  Id: string;
  State: { Running: boolean; Paused: boolean; Restarting: boolean };
  Config: { Tty: boolean; OpenStdin: boolean };
  HostConfig: { AutoRemove?: boolean };
}

const inspect = (ctx: CliContext, name: string) =>
  ctx.client().json<ContainerFacts>('GET', `/containers/${escapePath(name)}/json`);

/**
 * Attaches to a container (started by `start` when given), streams until it
 * ends or the user detaches, and resolves with the container's exit code.
 */
async function attachAndWait(
  ctx: CliContext,
  c: ContainerFacts,
  o: {
    stdin: boolean;
    sigProxy: boolean;
    detachKeys?: string;
    start?: () => Promise<void>;
    onDetach: () => number;
  },
): Promise<number> {
  const client = ctx.client();
  const tty = c.Config.Tty;
  const stdin = o.stdin && c.Config.OpenStdin;
  const socket = await client.hijack(`/containers/${c.Id}/attach`, {
    stream: true,
    stdin,
    stdout: true,
    stderr: true,
    ...(o.detachKeys ? { detachKeys: o.detachKeys } : {}),
  });
  // Detaching leaves the container running: the wait is then abandoned.
  const waitAbort = new AbortController();
  const waited = client
    .request('POST', `/containers/${c.Id}/wait`, {
      query: { condition: c.HostConfig.AutoRemove ? 'removed' : o.start ? 'next-exit' : 'not-running' },
      signal: waitAbort.signal,
    })
    .then(waitStatus);
  waited.catch(() => undefined);
  const stopSignals = o.sigProxy && !tty ? proxySignals(client, c.Id) : () => {};
  // Read the stream from before start: the container may print and end while start answers.
  const streamed = streamHijacked(socket, {
    tty,
    stdin,
    ...(o.detachKeys ? { detachKeys: o.detachKeys } : {}),
  });
  if (o.start) {
    try {
      await o.start();
    } catch (err) {
      socket.destroy();
      await streamed;
      waitAbort.abort();
      stopSignals();
      throw err;
    }
  }
  const stopResize = tty ? followTerminalSize(client, `/containers/${c.Id}/resize`) : () => {};
  try {
    const end = await streamed;
    if (end === 'detached') {
      waitAbort.abort();
      return o.onDetach();
    }
    return await waited;
  } finally {
    stopResize();
    stopSignals();
  }
}

interface AttachOptions {
  stdin?: boolean;
  sigProxy?: boolean;
  detachKeys?: string;
}

export const attachSpec: CommandSpec<AttachOptions> = {
  name: 'attach',
  usage: '[OPTIONS] CONTAINER',
  description: 'Attach local standard input, output, and error streams to a running container',
  args: { exact: 1 },
  options: (cmd, flags) => {
    cmd.option('--detach-keys <string>', 'Override the key sequence for detaching a container');
    flags.bool(cmd, '--no-stdin', 'Do not attach STDIN');
    flags.bool(cmd, '--sig-proxy', 'Proxy all received signals to the process', true);
  },
  run: async (ctx, args, o) => {
    const c = await inspect(ctx, args[0]!);
    if (!c.State.Running)
      throw new StatusError('You cannot attach to a stopped container, start it first', 1);
    if (c.State.Paused) throw new StatusError('You cannot attach to a paused container, unpause it first', 1);
    if (c.State.Restarting)
      throw new StatusError('You cannot attach to a restarting container, wait until it is running', 1);
    checkTty(o.stdin !== false && c.Config.OpenStdin, c.Config.Tty);
    return attachAndWait(ctx, c, {
      stdin: o.stdin !== false,
      sigProxy: o.sigProxy !== false,
      ...(o.detachKeys ? { detachKeys: o.detachKeys } : {}),
      // The docker CLI reports a detach from `attach` as an error.
      onDetach: () => {
        throw new StatusError('read escape sequence', 1);
      },
    });
  },
};

interface StartOptions {
  attach?: boolean;
  interactive?: boolean;
  detachKeys?: string;
}

export const startSpec: CommandSpec<StartOptions> = {
  name: 'start',
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  description: 'Start one or more stopped containers',
  args: { min: 1 },
  options: (cmd, flags) => {
    flags.bool(cmd, '-a, --attach', 'Attach STDOUT/STDERR and forward signals');
    flags.bool(cmd, '-i, --interactive', "Attach container's STDIN");
    cmd.option('--detach-keys <string>', 'Override the key sequence for detaching a container');
  },
  run: async (ctx, args, o) => {
    if (o.attach || o.interactive) {
      if (args.length > 1)
        throw new StatusError('you cannot start and attach multiple containers at once', 1);
      const c = await inspect(ctx, args[0]!);
      if (c.State.Running) {
        // Already running: docker start -a just attaches.
        return attachAndWait(ctx, c, { stdin: Boolean(o.interactive), sigProxy: true, onDetach: () => 0 });
      }
      return attachAndWait(ctx, c, {
        stdin: Boolean(o.interactive),
        sigProxy: true,
        ...(o.detachKeys ? { detachKeys: o.detachKeys } : {}),
        start: async () => {
          const res = await ctx.client().request('POST', `/containers/${c.Id}/start`);
          res.resume();
        },
        onDetach: () => 0,
      });
    }
    const errors: string[] = [];
    const failed: string[] = [];
    for (const name of args) {
      try {
        const res = await ctx.client().request('POST', `/containers/${escapePath(name)}/start`);
        res.resume();
        ctx.out(`${name}\n`);
      } catch (err) {
        errors.push(errorText(err));
        failed.push(name);
      }
    }
    if (errors.length === 0) return 0;
    throw new StatusError(`${errors.join('\n')}\nError: failed to start containers: ${failed.join(', ')}`, 1);
  },
};
