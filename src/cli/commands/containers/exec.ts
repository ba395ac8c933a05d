/** `berth exec` (cli/command/container/exec.go). */
import { escapePath } from '../../client.js';
import { type CommandSpec, collect } from '../../command-spec.js';
import { StatusError } from '../../errors.js';
import { expandEnv, parseKeyValueFile } from './env-file.js';
import { checkTty, followTerminalSize, streamHijacked } from './hijack-io.js';

interface ExecOptions {
  detach?: boolean;
  interactive?: boolean;
  tty?: boolean;
  env?: string[];
  envFile?: string[];
  user?: string;
  workdir?: string;
  privileged?: boolean;
  detachKeys?: string;
}

export const execSpec: CommandSpec<ExecOptions> = {
  name: 'exec',
  usage: '[OPTIONS] CONTAINER COMMAND [ARG...]',
  description: 'Execute a command in a running container',
  args: { min: 2 },
  options: (cmd, flags) => {
    flags.bool(cmd, '-d, --detach', 'Detached mode: run command in the background');
    cmd.option('--detach-keys <string>', 'Override the key sequence for detaching a container');
    cmd.option('-e, --env <list>', 'Set environment variables', collect);
    cmd.option('--env-file <list>', 'Read in a file of environment variables', collect);
    flags.bool(cmd, '-i, --interactive', 'Keep STDIN open even if not attached');
    flags.bool(cmd, '--privileged', 'Give extended privileges to the command');
    flags.bool(cmd, '-t, --tty', 'Allocate a pseudo-TTY');
    cmd.option('-u, --user <string>', 'Username or UID (format: "<name|uid>[:<group|gid>]")');
    cmd.option('-w, --workdir <string>', 'Working directory inside the container');
    cmd.passThroughOptions();
  },
  run: async (ctx, args, o) => {
    const client = ctx.client();
    // As docker: "no such container" first, then the TTY check, before an exec instance exists.
    (await client.request('GET', `/containers/${escapePath(args[0]!)}/json`)).resume();
    checkTty(Boolean(o.interactive) && !o.detach, Boolean(o.tty));
    const env: string[] = [];
    for (const f of o.envFile ?? []) env.push(...(await parseKeyValueFile(f, true)));
    env.push(...expandEnv(o.env ?? []));
    const detach = Boolean(o.detach);
    const tty = Boolean(o.tty);
    const { Id } = await client.json<{ Id: string }>('POST', `/containers/${escapePath(args[0]!)}/exec`, {
      body: {
        User: o.user ?? '',
        Privileged: Boolean(o.privileged),
        Tty: tty,
        AttachStdin: Boolean(o.interactive) && !detach,
        AttachStdout: !detach,
        AttachStderr: !detach,
        DetachKeys: o.detachKeys ?? '',
        Env: env,
        WorkingDir: o.workdir ?? '',
        Cmd: args.slice(1),
      },
    });
    const size = tty && process.stdout.isTTY ? [process.stdout.rows, process.stdout.columns] : undefined;
    if (detach) {
      const res = await client.request('POST', `/exec/${Id}/start`, { body: { Detach: true, Tty: tty } });
      res.resume();
      return 0;
    }
    const socket = await client.hijackWithBody(`/exec/${Id}/start`, {
      Detach: false,
      Tty: tty,
      ...(size ? { ConsoleSize: size } : {}),
    });
    const stopResize = tty ? followTerminalSize(client, `/exec/${Id}/resize`) : () => {};
    try {
      const end = await streamHijacked(socket, {
        tty,
        stdin: Boolean(o.interactive),
        ...(o.detachKeys ? { detachKeys: o.detachKeys } : {}),
      });
      if (end === 'detached') return 0;
    } finally {
      stopResize();
    }
    const inspected = await client.json<{ ExitCode: number | null; Running: boolean }>(
      'GET',
      `/exec/${Id}/json`,
    );
    const code = inspected.ExitCode ?? 0;
    if (code !== 0) throw new StatusError('', code);
    return 0;
  },
};
