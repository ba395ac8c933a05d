import { spawn } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { runCommand } from '../core/exec.js';
import type { IdMap } from '../core/id-map.js';

/** A user namespace held open by a waiting process until the container has joined it. */
export interface HeldUserns {
  /** `/proc/<holder>/ns/user`. */
  path: string;
  /** Lets the holder go; the namespace lives on in the container (and its network namespace). */
  release(): Promise<void>;
}

/**
 * Makes a user namespace with the daemon's mappings and, owned by it, the
 * container's network namespace, bound to `netnsPath`. The container joins
 * both: a network namespace the host's user namespace owned would keep
 * `docker exec` out (runc joins the user namespace first, and its root has
 * no say over the host's namespaces) and forbid mounting /sys.
 *
 * An unshare'd shell holds both, waiting on stdin, until
 * {@link HeldUserns.release}; the mappings are written from here (host root
 * may map any IDs), then the network namespace is bound to its file. A user
 * namespace cannot be bound to a file (EPERM), so the runtime joins it
 * through the holder's /proc entry.
 */
export async function createRemappedNetns(
  netnsPath: string,
  idMap: IdMap,
  removeStaleNetns: () => Promise<void>,
  /** Make the network namespace in this existing user namespace (another container's) instead. */
  joinUserns?: string,
): Promise<HeldUserns> {
  await removeStaleNetns();
  await writeFile(netnsPath, '', { flag: 'wx', mode: 0o444 });
  const holder = ['sh', '-c', 'echo $$; read _'];
  const child = joinUserns
    ? spawn('nsenter', [`--user=${joinUserns}`, 'unshare', '--net', ...holder], {
        stdio: ['pipe', 'pipe', 'pipe'],
      })
    : spawn('unshare', ['--user', '--net', ...holder], { stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdin.on('error', () => {}); // the holder may be gone already
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<void>((resolve) => {
    child.once('close', () => resolve());
    // unshare or nsenter missing: the line below never comes, and the error says why.
    child.once('error', (err) => {
      stderr += err.message;
      resolve();
    });
  });
  const release = async () => {
    child.stdin.end('\n');
    await exited;
  };
  try {
    const lines = createInterface({ input: child.stdout });
    const first = await new Promise<string | undefined>((resolve) => {
      lines.once('line', resolve);
      lines.once('close', () => resolve(undefined));
    });
    const pid = Number(first);
    if (!Number.isInteger(pid) || pid <= 0) throw new Error(`unshare failed: ${stderr.trim()}`);
    if (!joinUserns) {
      await writeFile(`/proc/${pid}/uid_map`, mapText(idMap.uids));
      await writeFile(`/proc/${pid}/gid_map`, mapText(idMap.gids));
    }
    // Bound only now: before its user namespace has mappings the kernel refuses (EPERM).
    await runCommand('mount', ['--bind', `/proc/${pid}/ns/net`, netnsPath]);
    await runCommand('nsenter', [`--net=${netnsPath}`, 'ip', 'link', 'set', 'lo', 'up']);
    return { path: `/proc/${pid}/ns/user`, release };
  } catch (err) {
    await release();
    await runCommand('umount', [netnsPath]).catch(() => {});
    await rm(netnsPath, { force: true });
    throw err;
  }
}

function mapText(ranges: IdMap['uids']): string {
  return ranges.map((r) => `${r.containerID} ${r.hostID} ${r.size}\n`).join('');
}
