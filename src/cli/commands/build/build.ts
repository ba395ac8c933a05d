/**
 * `berth build` / `berth image build`: the legacy builder's client
 * (cli/command/image/build.go with DOCKER_BUILDKIT=0): sends the context tar
 * to POST /build and prints the daemon's log.
 */

import { randomBytes } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { type CommandSpec, collect } from '../../command-spec.js';
import type { CliContext } from '../../context.js';
import { decodeJsonStream, displayJsonMessages, JsonStreamError } from '../../jsonmessage.js';
import { registryConfigHeader } from '../registry/credentials.js';
import { contextMembers, contextTar } from './context-tar.js';
import { TerminalBuildView } from './terminal-view.js';

export interface BuildCliOptions {
  tag?: string[];
  file?: string;
  buildArg?: string[];
  target?: string;
  cache?: boolean;
  pull?: boolean;
  label?: string[];
  platform?: string;
  quiet?: boolean;
  iidfile?: string;
  network?: string;
  rm?: boolean;
  forceRm?: boolean;
  cacheFrom?: string[];
  addHost?: string[];
  shmSize?: string;
  memory?: string;
}

async function readStdin(ctx: CliContext): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of ctx.stdin.stream) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

/** The body and the dockerfile parameter for the given PATH | URL | -. */
async function prepareContext(ctx: CliContext, source: string, file: string | undefined) {
  if (/^(https?:\/\/|git@|git:\/\/|github\.com\/)/.test(source)) {
    return { remote: source, dockerfile: file };
  }
  if (source === '-') {
    if (file === '-')
      throw new Error("invalid argument: can't use stdin for both build context and dockerfile");
    const input = await readStdin(ctx);
    const isTar = input.length >= 512 && input.subarray(257, 262).toString('latin1') === 'ustar';
    const isGzip = input[0] === 0x1f && input[1] === 0x8b;
    if (isTar || isGzip) return { body: input, dockerfile: file };
    // A Dockerfile on stdin: the context is just that file.
    return { body: contextTar([], [inline('Dockerfile', input)]), dockerfile: 'Dockerfile' };
  }
  const dir = resolve(source);
  const info = await stat(dir).catch(() => undefined);
  if (!info?.isDirectory()) throw new Error(`unable to prepare context: path "${source}" not found`);
  let dockerfile = file ?? 'Dockerfile';
  const extra = [];
  if (file === '-') {
    dockerfile = `.dockerfile.${randomBytes(10).toString('hex')}`;
    extra.push(inline(dockerfile, await readStdin(ctx)));
  } else {
    const abs = isAbsolute(dockerfile) ? dockerfile : file ? resolve(dockerfile) : resolve(dir, dockerfile);
    const rel = relative(dir, abs);
    const text = await readFile(abs).catch(() => {
      throw new Error(
        `unable to prepare context: unable to evaluate symlinks in Dockerfile path: lstat ${abs}: no such file or directory`,
      );
    });
    if (rel.startsWith('..') || isAbsolute(rel)) {
      // A Dockerfile outside the context travels inside it under a random name, as docker does.
      dockerfile = `.dockerfile.${randomBytes(10).toString('hex')}`;
      extra.push(inline(dockerfile, text));
    } else dockerfile = rel;
  }
  const members = await contextMembers(dir, [dockerfile]);
  return { body: contextTar(members, extra), dockerfile };
}

function inline(path: string, content: Buffer) {
  return {
    entry: { type: 'file' as const, path, mode: 0o600, content },
    mtime: Math.floor(Date.now() / 1000),
  };
}

function keyValues(list: readonly string[] | undefined, withEnv: boolean): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const item of list ?? []) {
    const eq = item.indexOf('=');
    if (eq >= 0) out[item.slice(0, eq)] = item.slice(eq + 1);
    else if (withEnv) out[item] = process.env[item] ?? null;
    else out[item] = '';
  }
  return out;
}

async function runBuild(ctx: CliContext, args: string[], opts: BuildCliOptions): Promise<number> {
  const prepared = await prepareContext(ctx, args[0]!, opts.file);
  const body = prepared.body;
  const upload: Readable | undefined =
    body === undefined ? undefined : Buffer.isBuffer(body) ? Readable.from([body]) : body;
  const res = await ctx.client().request('POST', '/build', {
    query: {
      t: opts.tag?.length ? opts.tag : undefined,
      dockerfile: prepared.dockerfile,
      remote: 'remote' in prepared ? prepared.remote : undefined,
      buildargs: JSON.stringify(keyValues(opts.buildArg, true)),
      labels: JSON.stringify(keyValues(opts.label, false)),
      target: opts.target || undefined,
      nocache: opts.cache === false ? '1' : undefined,
      pull: opts.pull ? '1' : undefined,
      rm: opts.rm === false ? '0' : '1',
      forcerm: opts.forceRm ? '1' : undefined,
      q: opts.quiet ? '1' : undefined,
      networkmode: opts.network || undefined,
      platform: opts.platform || undefined,
      cachefrom: opts.cacheFrom?.length ? JSON.stringify(opts.cacheFrom) : undefined,
      extrahosts: opts.addHost?.length ? opts.addHost : undefined,
      shmsize: opts.shmSize || undefined,
      memory: opts.memory || undefined,
    },
    headers: { 'Content-Type': 'application/x-tar', 'X-Registry-Config': await registryConfigHeader() },
    upload,
  });
  let imageId = '';
  const onAux = (aux: unknown) => {
    const id = (aux as { ID?: string }).ID;
    if (id) imageId = id;
  };
  try {
    if (ctx.stdout.isTerminal && !opts.quiet) await showOnTerminal(ctx, res, onAux);
    else
      await displayJsonMessages(res, opts.quiet ? { ...ctx.stdout, stream: devNull() } : ctx.stdout, onAux);
  } catch (err) {
    if (err instanceof JsonStreamError) {
      ctx.err(`${err.message}\n`);
      return err.code && err.code > 0 ? err.code : 1;
    }
    throw err;
  }
  if (opts.quiet) ctx.out(`${imageId}\n`);
  if (opts.iidfile && imageId) await writeFile(opts.iidfile, imageId);
  return 0;
}

/** The live view: step output in a rolling window, steps with their times. */
async function showOnTerminal(ctx: CliContext, res: Readable, onAux: (aux: unknown) => void): Promise<void> {
  const view = new TerminalBuildView((text) => ctx.out(text), 6, ctx.stdout.columns ?? 120);
  try {
    for await (const message of decodeJsonStream(res)) {
      if (message.aux !== undefined) onAux(message.aux);
      else if (message.errorDetail)
        throw new JsonStreamError(
          message.errorDetail.message ?? message.error ?? '',
          message.errorDetail.code,
        );
      else if (message.stream) view.stream(message.stream);
    }
  } finally {
    view.end();
  }
}

function devNull() {
  return { write: () => true } as unknown as NodeJS.WritableStream as never;
}

export const buildSpec: CommandSpec<BuildCliOptions> = {
  name: 'build',
  usage: '[OPTIONS] PATH | URL | -',
  description: 'Build an image from a Dockerfile',
  args: { exact: 1 },
  options: (cmd, flags) => {
    cmd.option('-t, --tag <list>', 'Name and optionally a tag in the "name:tag" format', collect, []);
    cmd.option('-f, --file <string>', "Name of the Dockerfile (Default is 'PATH/Dockerfile')");
    cmd.option('--build-arg <list>', 'Set build-time variables', collect, []);
    cmd.option('--target <string>', 'Set the target build stage to build.');
    cmd.option('--no-cache', 'Do not use cache when building the image');
    flags.bool(cmd, '--pull', 'Always attempt to pull a newer version of the image');
    cmd.option('--label <list>', 'Set metadata for an image', collect, []);
    cmd.option(
      '--platform <string>',
      'Set platform if server is multi-platform capable',
      process.env.DOCKER_DEFAULT_PLATFORM,
    );
    flags.bool(cmd, '-q, --quiet', 'Suppress the build output and print image ID on success');
    cmd.option('--iidfile <string>', 'Write the image ID to the file');
    cmd.option(
      '--network <string>',
      'Set the networking mode for the RUN instructions during build',
      'default',
    );
    flags.bool(cmd, '--rm', 'Remove intermediate containers after a successful build', true);
    flags.bool(cmd, '--force-rm', 'Always remove intermediate containers');
    cmd.option('--cache-from <list>', 'Images to consider as cache sources', collect, []);
    cmd.option('--add-host <list>', 'Add a custom host-to-IP mapping (host:ip)', collect, []);
    cmd.option('--shm-size <bytes>', 'Size of /dev/shm');
    cmd.option('-m, --memory <bytes>', 'Memory limit');
  },
  run: (ctx, args, opts) => runBuild(ctx, args, opts),
};
