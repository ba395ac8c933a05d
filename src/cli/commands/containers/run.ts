/** `berth run` (cli/command/container/run.go): create, attach, wait, start, stream, exit with the container's code. */
import type { Duplex } from 'node:stream';
import { ApiError } from '../../client.js';
import type { CommandSpec } from '../../command-spec.js';
import type { CliContext } from '../../context.js';
import { StatusError } from '../../errors.js';
import {
  attachedStreams,
  type CreateOptions,
  createBody,
  createContainer,
  declareCreateOptions,
  startFailureCode,
} from './create-options.js';
import { checkTty, followTerminalSize, proxySignals, streamHijacked, waitStatus } from './hijack-io.js';

interface RunOptions extends CreateOptions {
  detach?: boolean;
  sigProxy?: boolean;
  detachKeys?: string;
}

async function runContainer(
  ctx: CliContext,
  image: string,
  command: string[],
  o: RunOptions,
): Promise<number> {
  const client = ctx.client();
  const detach = Boolean(o.detach);
  if (detach && o.attach?.length)
    throw new StatusError(
      "berth: Conflicting options: -a and -d\n\nRun 'berth run --help' for more information",
      125,
    );
  checkTty(attachedStreams(o, detach).stdin, Boolean(o.tty));
  const body = await createBody(image, command, o, detach);
  const created = await createContainer(ctx, image, body, o.name, 125, o);
  const id = created.Id;
  const start = async () => {
    try {
      await client.request('POST', `/containers/${id}/start`).then((r) => r.resume());
    } catch (err) {
      const message = err instanceof ApiError ? `Error response from daemon: ${err.message}` : String(err);
      throw new StatusError(
        `berth: ${message}\n\nRun 'berth run --help' for more information`,
        startFailureCode(message),
      );
    }
  };
  if (detach) {
    await start();
    ctx.out(`${id}\n`);
    return 0;
  }
  const streams = attachedStreams(o, detach);
  const tty = Boolean(o.tty);
  const attached = streams.stdin || streams.stdout || streams.stderr;
  // The wait goes out with the attach (docker sends it once attached): both
  // are in place before start, and neither waits for the other's answer.
  // Detaching leaves the container running: the wait is then abandoned.
  const waitAbort = new AbortController();
  const waited = client
    .request('POST', `/containers/${id}/wait`, {
      query: { condition: o.rm ? 'removed' : 'next-exit' },
      signal: waitAbort.signal,
    })
    .then(waitStatus);
  waited.catch(() => undefined);
  let socket: Duplex | undefined;
  try {
    socket = attached
      ? await client.hijack(`/containers/${id}/attach`, {
          stream: true,
          stdin: streams.stdin,
          stdout: streams.stdout,
          stderr: streams.stderr,
          ...(o.detachKeys ? { detachKeys: o.detachKeys } : {}),
        })
      : undefined;
  } catch (err) {
    waitAbort.abort();
    throw err;
  }
  // Installed before start, so a signal that comes early is not lost to the default handler.
  const stopSignals = o.sigProxy !== false && !tty ? proxySignals(client, id) : () => {};
  // Read the stream from before start: a short-lived container can print and end
  // (and the daemon close the attach connection) while start is still answering.
  const streamed = socket
    ? streamHijacked(socket, {
        tty,
        stdin: streams.stdin,
        ...(o.detachKeys ? { detachKeys: o.detachKeys } : {}),
      })
    : undefined;
  try {
    await start();
  } catch (err) {
    socket?.destroy();
    await streamed;
    waitAbort.abort();
    stopSignals();
    throw err;
  }
  const stopResize = tty && attached ? followTerminalSize(client, `/containers/${id}/resize`) : () => {};
  try {
    if (streamed) {
      const end = await streamed;
      if (end === 'detached') {
        waitAbort.abort();
        return 0;
      }
    }
    return await waited;
  } finally {
    stopResize();
    stopSignals();
  }
}

export const runSpec: CommandSpec<RunOptions> = {
  name: 'run',
  usage: '[OPTIONS] IMAGE [COMMAND] [ARG...]',
  description: 'Create and run a new container from an image',
  args: { min: 1 },
  options: (cmd, flags) => {
    cmd.option('-d, --detach', 'Run container in background and print container ID');
    declareCreateOptions(cmd);
    flags.bool(cmd, '--sig-proxy', 'Proxy received signals to the process', true);
    cmd.option('--detach-keys <string>', 'Override the key sequence for detaching a container');
    cmd.passThroughOptions();
  },
  run: (ctx, args, opts) => runContainer(ctx, args[0]!, args.slice(1), opts),
};
