/**
 * mount(2), umount2(2), new network namespaces, link deletion and rm -rf made
 * by the daemon's process launcher (see launcher.ts), without mount(8),
 * umount(8), ip(8) or rm(1): each of those costs a program start (and the
 * first two a read of the mount table), several ms on the way of every
 * container start and exit. Each function says
 * `false` when the launcher cannot make the call (not running, a machine
 * whose system call numbers it does not know): the caller runs the program.
 */
import { BerthError, ErrorKind } from './errors.js';
import { activeLauncher, type KernelCall, LaunchError, LauncherUnavailable } from './launcher.js';

/** mount(8)'s words for mount flags; any other option goes to the filesystem as data. */
const FLAG_OPTIONS: Record<string, number> = {
  rw: 0,
  defaults: 0,
  ro: 1,
  nosuid: 2,
  nodev: 4,
  noexec: 8,
  noatime: 1024,
  nodiratime: 2048,
  relatime: 1 << 21,
};

/** Options only mount(8) handles: they take a second mount(2) or a different kind of call. */
const PROGRAM_OPTIONS = /^(bind|rbind|remount|move|r?(shared|slave|private|unbindable)|x-.*)$/;

/**
 * Mounts a filesystem of `type` from `source` on `target`, with mount(8)-style
 * options. Relative paths in the options resolve in `cwd`.
 */
export async function kernelMount(
  source: string,
  target: string,
  type: string,
  options: readonly string[],
  cwd?: string,
): Promise<boolean> {
  if (options.some((option) => PROGRAM_OPTIONS.test(option))) return false;
  let flags = 0;
  const data: string[] = [];
  for (const option of options) {
    const flag = FLAG_OPTIONS[option];
    if (flag === undefined) data.push(option);
    else flags |= flag;
  }
  return call('mount', [source, target, type, String(flags), data.join(',')], cwd);
}

/** The top mount on `target` goes; `detach` as umount -l. An error with code EINVAL: nothing is mounted there. */
export function kernelUnmount(target: string, options: { detach?: boolean } = {}): Promise<boolean> {
  return call('umount', [target, options.detach ? '2' : '0']);
}

/** Everything stacked on `target` goes, until nothing is mounted there. */
export function kernelUnmountAll(target: string): Promise<boolean> {
  return call('umount-all', [target]);
}

/** A new network namespace with its loopback up, bound on `file` (which must exist), as `ip netns add` makes. */
export function kernelNetns(file: string): Promise<boolean> {
  return call('netns', [file]);
}

/** The host's network interface `name` goes (as `ip link delete`); one already gone is fine. */
export function kernelLinkDelete(name: string): Promise<boolean> {
  return call('link-del', [name]);
}

/**
 * `rm -rf path` by a launcher worker, without the event loop: Node's
 * recursive rm takes a thread-pool round trip per entry. Links are not
 * followed; a path already gone is fine.
 */
export function kernelRemoveTree(path: string): Promise<boolean> {
  return call('rm-tree', [path]);
}

async function call(kind: KernelCall, args: readonly string[], cwd?: string): Promise<boolean> {
  const launcher = activeLauncher();
  if (!launcher) return false;
  try {
    await launcher.kernelCall(kind, args, cwd ? { cwd } : {});
    return true;
  } catch (err) {
    if (err instanceof LauncherUnavailable) return false;
    if (err instanceof LaunchError) {
      if (err.code === 'ENOSYS') return false;
      throw Object.assign(new BerthError(ErrorKind.Internal, err.message), { code: err.code });
    }
    throw err;
  }
}
