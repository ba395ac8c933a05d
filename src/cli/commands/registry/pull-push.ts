/**
 * `berth pull` and `berth push` (cli/command/image/pull.go, push.go): the
 * reference is normalised as the docker CLI does ("Using default tag:
 * latest"), the stored credentials for its registry go in X-Registry-Auth,
 * and the daemon's progress is drawn with docker's layout.
 */
import { Writable } from 'node:stream';
import { familiarName, parseNormalizedNamed, type Reference } from '../../../images/reference.js';
import type { CommandSpec } from '../../command-spec.js';
import type { CliContext } from '../../context.js';
import { displayJsonMessages } from '../../jsonmessage.js';
import { registryAuthHeader } from './credentials.js';

interface PullOptions {
  allTags?: boolean;
  quiet?: boolean;
  platform?: string;
}

interface PushOptions {
  allTags?: boolean;
  quiet?: boolean;
}

/** `docker.io/library/busybox:latest`: what docker prints after a pull. */
function fullName(ref: Reference): string {
  return `${ref.domain}/${ref.path}${ref.digest ? `@${ref.digest}` : `:${ref.tag ?? 'latest'}`}`;
}

/** Pulls `text`; writes progress to `out` (stdout, or stderr for `run`). Returns the full name. */
export async function pullImage(
  ctx: CliContext,
  text: string,
  opts: PullOptions & { out?: CliContext['stdout'] },
): Promise<string> {
  let ref = parseNormalizedNamed(text);
  const out = opts.out ?? ctx.stdout;
  if (opts.allTags && (ref.tag !== undefined || ref.digest !== undefined)) {
    throw new Error("tag can't be used with --all-tags/-a");
  }
  if (!opts.allTags && ref.tag === undefined && ref.digest === undefined) {
    ref = { ...ref, tag: 'latest' };
    if (!opts.quiet) out.stream.write('Using default tag: latest\n');
  }
  const res = await ctx.client().request('POST', '/images/create', {
    query: {
      fromImage: familiarName(ref),
      tag: ref.digest ?? ref.tag ?? '',
      platform: opts.platform,
    },
    headers: { 'X-Registry-Auth': await registryAuthHeader(ref.domain) },
  });
  if (opts.quiet) {
    await displayJsonMessages(res, { stream: devNull(), isTerminal: false, columns: undefined });
  } else {
    await displayJsonMessages(res, out);
  }
  return opts.allTags ? `${ref.domain}/${ref.path}` : fullName(ref);
}

/** Where quiet mode sends progress: nowhere (errors still surface from the stream). */
function devNull(): Writable {
  return new Writable({ write: (_chunk, _encoding, done) => done() });
}

async function runPull(ctx: CliContext, args: string[], opts: PullOptions): Promise<number> {
  const name = await pullImage(ctx, args[0]!, opts);
  ctx.out(`${name}\n`);
  return 0;
}

async function runPush(ctx: CliContext, args: string[], opts: PushOptions): Promise<number> {
  let ref = parseNormalizedNamed(args[0]!);
  if (opts.allTags && (ref.tag !== undefined || ref.digest !== undefined)) {
    throw new Error("tag can't be used with --all-tags/-a");
  }
  if (!opts.allTags && ref.tag === undefined && ref.digest === undefined) {
    ref = { ...ref, tag: 'latest' };
    if (!opts.quiet) ctx.out('Using default tag: latest\n');
  }
  const res = await ctx.client().request('POST', `/images/${familiarName(ref)}/push`, {
    query: { tag: ref.tag ?? '' },
    headers: { 'X-Registry-Auth': await registryAuthHeader(ref.domain) },
  });
  if (opts.quiet) {
    await displayJsonMessages(res, { stream: devNull(), isTerminal: false, columns: undefined });
    ctx.out(`${fullName(ref)}\n`);
  } else {
    await displayJsonMessages(res, ctx.stdout);
  }
  return 0;
}

export const pullSpec: CommandSpec<PullOptions> = {
  name: 'pull',
  usage: '[OPTIONS] NAME[:TAG|@DIGEST]',
  description: 'Download an image from a registry',
  args: { exact: 1 },
  options: (cmd, flags) => {
    flags.bool(cmd, '-a, --all-tags', 'Download all tagged images in the repository');
    cmd.option('--platform <string>', 'Set platform if server is multi-platform capable');
    flags.bool(cmd, '-q, --quiet', 'Suppress verbose output');
  },
  run: (ctx, args, opts) => runPull(ctx, args, opts),
};

export const pushSpec: CommandSpec<PushOptions> = {
  name: 'push',
  usage: '[OPTIONS] NAME[:TAG]',
  description: 'Upload an image to a registry',
  args: { exact: 1 },
  options: (cmd, flags) => {
    flags.bool(cmd, '-a, --all-tags', 'Push all tags of an image to the repository');
    flags.bool(cmd, '-q, --quiet', 'Suppress verbose output');
  },
  run: (ctx, args, opts) => runPush(ctx, args, opts),
};
