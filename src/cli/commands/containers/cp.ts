/**
 * `berth cp` (cli/command/container/cp.go with moby's archive.CopyInfo
 * rules): CONTAINER:SRC to a local path or `-` (a tar on stdout), and a
 * local path or `-` (a tar on stdin) to CONTAINER:DEST.
 */
import { lstat, stat } from 'node:fs/promises';
import { basename, dirname, posix, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { formatHumanSize } from '../../../core/units.js';
import { readTar } from '../../../snapshots/tar/reader.js';
import { ApiError, escapePath } from '../../client.js';
import type { CommandSpec } from '../../command-spec.js';
import type { CliContext } from '../../context.js';
import { StatusError } from '../../errors.js';
import { extractLocal } from './cp-local.js';

interface CpOptions {
  archive?: boolean;
  followLink?: boolean;
  quiet?: boolean;
}

/** The container's view of a path (X-Docker-Container-Path-Stat). */
interface PathStat {
  name: string;
  size: number;
  mode: number;
  linkTarget: string;
}

const GO_MODE_DIR = 2 ** 31;
const GO_MODE_SYMLINK = 2 ** 27;
const isDir = (s: PathStat) => s.mode >= GO_MODE_DIR;
const isSymlink = (s: PathStat) => !isDir(s) && Math.floor(s.mode / GO_MODE_SYMLINK) % 2 === 1;

/** "name:path" splits at the first colon unless the part before it looks like a local path. */
function splitArg(arg: string): { container?: string; path: string } {
  if (arg.startsWith('/') || arg.startsWith('.')) return { path: arg };
  const colon = arg.indexOf(':');
  if (colon <= 0) return { path: arg };
  return { container: arg.slice(0, colon), path: arg.slice(colon + 1) };
}

/** docker's PreserveTrailingDotOrSeparator: "dir/." and "dir/" keep their meaning after cleaning. */
function endsWithDot(path: string): boolean {
  return path.endsWith('/.') || path === '.';
}

async function statInContainer(ctx: CliContext, container: string, path: string): Promise<PathStat> {
  const res = await ctx
    .client()
    .request('HEAD', `/containers/${escapePath(container)}/archive`, { query: { path } });
  res.resume();
  const header = res.headers['x-docker-container-path-stat'];
  return JSON.parse(Buffer.from(String(header ?? ''), 'base64').toString()) as PathStat;
}

const notFound = (err: unknown) => err instanceof ApiError && err.status === 404;

async function copyFromContainer(ctx: CliContext, container: string, src: string, dst: string, o: CpOptions) {
  let source = src;
  let stat0 = await statInContainer(ctx, container, source).catch(async (err: unknown) => {
    if (!notFound(err)) throw err;
    // HEAD answers have no body: ask again with GET for the daemon's message.
    await ctx
      .client()
      .request('GET', `/containers/${escapePath(container)}/archive`, { query: { path: source } });
    throw err;
  });
  if (o.followLink && isSymlink(stat0)) {
    source = stat0.linkTarget;
    stat0 = await statInContainer(ctx, container, source);
  }
  const res = await ctx
    .client()
    .request('GET', `/containers/${escapePath(container)}/archive`, { query: { path: source } });
  if (dst === '-') {
    await pipeline(res, ctx.stdout.stream, { end: false });
    return;
  }
  const target = resolve(dst);
  const local = await stat(target).catch(() => undefined);
  const srcBase = stat0.name;
  let into: string;
  let rename: string | undefined;
  if (local?.isDirectory()) {
    into = target;
    // "dir/." copies the directory's contents, not the directory.
    if (endsWithDot(src) && isDir(stat0)) rename = '.';
  } else if (local) {
    if (isDir(stat0)) throw new StatusError('cannot copy directory', 1);
    into = dirname(target);
    rename = basename(target);
  } else {
    if (dst.endsWith('/')) throw new StatusError('no such directory', 1);
    const parent = await stat(dirname(target)).catch(() => undefined);
    if (!parent?.isDirectory())
      throw new StatusError(`invalid output path: directory "${dirname(target)}" does not exist`, 1);
    into = dirname(target);
    rename = basename(target);
  }
  const copied = await extractLocal(readTar(res), into, { from: srcBase, to: rename });
  report(ctx, o, copied, dst);
}

async function copyToContainer(ctx: CliContext, src: string, container: string, dst: string, o: CpOptions) {
  const client = ctx.client();
  const put = (path: string, body: NodeJS.ReadableStream) =>
    client
      .request('PUT', `/containers/${escapePath(container)}/archive`, {
        query: { path, noOverwriteDirNonDir: true, copyUIDGID: o.archive ? true : undefined },
        upload: body as never,
        headers: { 'Content-Type': 'application/x-tar' },
      })
      .then((r) => r.resume());
  if (src === '-') {
    await put(dst, ctx.stdin.stream);
    return;
  }
  const local = resolve(src);
  const info = await (o.followLink ? stat(local) : lstat(local)).catch(() => {
    throw new StatusError(`lstat ${local}: no such file or directory`, 1);
  });
  const dstStat = await statInContainer(ctx, container, dst).catch((err: unknown) => {
    if (notFound(err)) return undefined;
    throw err;
  });
  let destDir: string;
  let name: string;
  if (dstStat && (isDir(dstStat) || (isSymlink(dstStat) && o.followLink !== false && dst.endsWith('/')))) {
    destDir = dst;
    name = endsWithDot(src) && info.isDirectory() ? '' : basename(local);
  } else if (dstStat) {
    if (info.isDirectory()) throw new StatusError('cannot copy directory', 1);
    destDir = posix.dirname(dst);
    name = posix.basename(dst);
  } else {
    if (dst.endsWith('/')) throw new StatusError('no such directory', 1);
    destDir = posix.dirname(dst);
    name = posix.basename(dst);
  }
  let sent = 0;
  // Loaded here: the tar writer pulls in the native xattr binding, which every other command can skip.
  const { tarTree } = await import('../../../snapshots/tar/tree.js');
  const tar = tarTree(local, name);
  tar.on('data', (chunk: Buffer) => {
    sent += chunk.length;
  });
  await put(destDir, tar);
  report(ctx, o, sent, `${container}:${dst}`);
}

/** docker prints the size copied on a terminal, unless -q. */
function report(ctx: CliContext, o: CpOptions, size: number, where: string): void {
  if (o.quiet || !process.stderr.isTTY) return;
  ctx.err(`Successfully copied ${formatHumanSize(size, 3)} to ${where}\n`);
}

export const cpSpec: CommandSpec<CpOptions> = {
  name: 'cp',
  usage: '[OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n\tberth cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH',
  description: 'Copy files/folders between a container and the local filesystem',
  args: { exact: 2 },
  options: (cmd, flags) => {
    flags.bool(cmd, '-a, --archive', 'Archive mode (copy all uid/gid information)');
    flags.bool(cmd, '-L, --follow-link', 'Always follow symbol link in SRC_PATH');
    flags.bool(
      cmd,
      '-q, --quiet',
      'Suppress progress output during copy. Progress output is automatically suppressed if no terminal is attached',
    );
  },
  run: async (ctx, [from = '', to = ''], o) => {
    const src = splitArg(from);
    const dst = splitArg(to);
    if (src.container && dst.container)
      throw new StatusError('copying between containers is not supported', 1);
    if (!src.container && !dst.container)
      throw new StatusError('must specify at least one container source', 1);
    if (src.container !== undefined && src.path === '')
      throw new StatusError('source path cannot be empty', 1);
    if (dst.container !== undefined && dst.path === '')
      throw new StatusError('destination path cannot be empty', 1);
    if (src.container) await copyFromContainer(ctx, src.container, src.path, dst.path, o);
    else await copyToContainer(ctx, src.path, dst.container!, dst.path, o);
    return 0;
  },
};
