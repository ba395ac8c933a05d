/**
 * `berth import` / `berth image import` (cli/command/image/import.go): a
 * rootfs tar (a file, or `-` for stdin) becomes an image through
 * POST /images/create?fromSrc=-.
 */
import type { Readable } from 'node:stream';
import { parseNormalizedNamed } from '../../../images/reference.js';
import { type CommandSpec, collect } from '../../command-spec.js';
import type { CliContext } from '../../context.js';
import { displayJsonMessages } from '../../jsonmessage.js';
import { openInput } from './load.js';

/** The command's flags, as commander parses them. */
export interface ImportOptions {
  change?: string[];
  message?: string;
  platform?: string;
}

/** What to import and how: the body, the image name, and docker's import options. */
export interface ImportRequest {
  /** "-" when the body is the tar; a URL for the daemon to fetch. */
  readonly fromSrc: string;
  readonly body?: Readable;
  readonly reference?: string;
  readonly tag?: string;
  readonly message?: string;
  readonly changes?: readonly string[];
  readonly platform?: string;
  /** Aborts the upload. */
  readonly signal?: AbortSignal;
}

/**
 * Sends an import and shows the daemon's answer (the new image's ID) on
 * stdout. The reference is checked first, as docker's client does.
 */
export async function importImage(ctx: CliContext, request: ImportRequest): Promise<void> {
  if (request.reference) parseNormalizedNamed(request.reference);
  const res = await ctx.client().request('POST', '/images/create', {
    query: {
      fromSrc: request.fromSrc,
      repo: request.reference || undefined,
      tag: request.tag || undefined,
      message: request.message || undefined,
      platform: request.platform ? request.platform.toLowerCase() : undefined,
      changes: request.changes?.length ? [...request.changes] : undefined,
    },
    headers: { 'Content-Type': 'text/plain' },
    upload: request.body,
    signal: request.signal,
  });
  await displayJsonMessages(res, ctx.stdout);
}

async function runImport(ctx: CliContext, args: string[], opts: ImportOptions): Promise<number> {
  const source = args[0]!;
  const isUrl = source.startsWith('http://') || source.startsWith('https://');
  let body: Readable | undefined;
  if (source === '-') body = ctx.stdin.stream;
  else if (!isUrl) body = await openInput(source);
  await importImage(ctx, {
    fromSrc: isUrl ? source : '-',
    body,
    reference: args[1],
    message: opts.message,
    changes: opts.change,
    platform: opts.platform,
  });
  return 0;
}

/** The import command (top level and under `image`). */
export const importSpec: CommandSpec<ImportOptions> = {
  name: 'import',
  usage: '[OPTIONS] file|URL|- [REPOSITORY[:TAG]]',
  description: 'Import the contents from a tarball to create a filesystem image',
  args: { min: 1 },
  options: (cmd) => {
    cmd.option('-c, --change <list>', 'Apply Dockerfile instruction to the created image', collect, []);
    cmd.option('-m, --message <string>', 'Set commit message for imported image');
    cmd.option(
      '--platform <string>',
      'Set platform if server is multi-platform capable',
      process.env.DOCKER_DEFAULT_PLATFORM,
    );
  },
  run: (ctx, args, opts) => runImport(ctx, args, opts),
};
