/** `berth logs` (cli/command/container/logs.go). */
import { FrameDecoder } from '../../../api/streams.js';
import { escapePath } from '../../client.js';
import type { CommandSpec } from '../../command-spec.js';
import { StatusError } from '../../errors.js';
import { toApiTimestamp } from '../../timestamps.js';

interface LogsOptions {
  follow?: boolean;
  since?: string;
  until?: string;
  timestamps?: boolean;
  tail?: string;
  details?: boolean;
}

function apiTime(value: string | undefined, flag: string): string | undefined {
  if (value === undefined || value === '') return undefined;
  try {
    return toApiTimestamp(value);
  } catch (err) {
    throw new StatusError(
      `invalid value for "${flag}": ${err instanceof Error ? err.message : String(err)}`,
      1,
    );
  }
}

export const logsSpec: CommandSpec<LogsOptions> = {
  name: 'logs',
  usage: '[OPTIONS] CONTAINER',
  description: 'Fetch the logs of a container',
  args: { exact: 1 },
  options: (cmd, flags) => {
    flags.bool(cmd, '--details', 'Show extra details provided to logs');
    flags.bool(cmd, '-f, --follow', 'Follow log output');
    cmd.option(
      '--since <string>',
      'Show logs since timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)',
    );
    cmd.option('-n, --tail <string>', 'Number of lines to show from the end of the logs', 'all');
    flags.bool(cmd, '-t, --timestamps', 'Show timestamps');
    cmd.option(
      '--until <string>',
      'Show logs before a timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)',
    );
  },
  run: async (ctx, args, o) => {
    const client = ctx.client();
    const name = escapePath(args[0]!);
    const { Config } = await client.json<{ Config: { Tty: boolean } }>('GET', `/containers/${name}/json`);
    const res = await client.request('GET', `/containers/${name}/logs`, {
      query: {
        stdout: true,
        stderr: true,
        since: apiTime(o.since, '--since'),
        until: apiTime(o.until, '--until'),
        timestamps: o.timestamps || undefined,
        follow: o.follow || undefined,
        tail: o.tail ?? 'all',
        details: o.details || undefined,
      },
    });
    // A TTY's log is one raw stream; otherwise frames say stdout or stderr.
    const decoder = new FrameDecoder();
    for await (const chunk of res) {
      if (Config.Tty) process.stdout.write(chunk as Buffer);
      else
        for (const f of decoder.push(chunk as Buffer))
          (f.stream === 2 ? process.stderr : process.stdout).write(f.payload);
    }
    return 0;
  },
};
