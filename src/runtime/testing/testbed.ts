import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { detectCgroupLayout, removeCgroup } from '../../cgroups/layout.js';
import { generateSpec } from '../../containers/spec/generate.js';
import { readSpecHost, type SpecHost } from '../../containers/spec/host.js';
import type { OciSpec } from '../../containers/spec/oci.js';
import type { ContainerRequest } from '../../containers/spec/request.js';
import { applyLayer } from '../../snapshots/apply.js';
import { unmountUnder } from '../../snapshots/mount.js';
import { createOverlaySnapshotter } from '../../snapshots/overlay/overlay.js';
import type { Mount, Snapshotter } from '../../snapshots/snapshotter.js';
import { fixturesMissing, imageFixturesDir } from '../../testing/paths.js';
import { createConmonRuntime, findExecutable } from '../conmon/factory.js';
import type { Runtime } from '../runtime.js';

/** Why this host cannot run the real-container tests, or undefined when it can. */
export async function testbedSkipReason(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'containers need root';
  for (const tool of ['runc', 'conmon', 'perl']) {
    if (
      !(await findExecutable(tool).then(
        () => true,
        () => false,
      ))
    )
      return `${tool} is not installed`;
  }
  if (fixturesMissing) return fixturesMissing;
  return undefined;
}

/** A fresh container ID (64 hex digits, like Docker's). */
export const newId = (): string => randomBytes(32).toString('hex');

/**
 * Real containers for tests: a scratch directory with an overlay
 * snapshotter holding the busybox fixture as a committed layer, an exec root,
 * a runc Runtime, and a cgroup parent of its own. `dispose` removes every
 * container, mount, cgroup and file it made, whatever state they are in.
 */
export class Testbed {
  private constructor(
    readonly scratch: string,
    readonly execRoot: string,
    readonly runtime: Runtime,
    readonly host: SpecHost,
    readonly cgroupParent: string,
    private readonly snapshots: Snapshotter,
    /** The unpacked busybox layer, for its /etc/passwd and /etc/group. */
    private readonly imageRoot: string,
  ) {}

  static async create(options: { monitorCgroup?: boolean } = {}): Promise<Testbed> {
    const scratch = await mkdtemp(join(tmpdir(), 'berth-runtime-'));
    // Traversable, as the exec root must be for containers in a user namespace.
    await chmod(scratch, 0o711);
    const cgroupParent = `/berth-test-${randomBytes(4).toString('hex')}`;
    const execRoot = join(scratch, 'exec');
    const snapshots = await createOverlaySnapshotter(join(scratch, 'snapshots'));
    const [base] = await snapshots.prepare('busybox-extract');
    await applyLayer(base!.source, createReadStream(join(imageFixturesDir, 'busybox-rootfs.tar')));
    await snapshots.commit('busybox', 'busybox-extract');
    const runtime = await createConmonRuntime({
      execRoot,
      runtime: { name: 'runc', path: 'runc', args: [] },
      ...(options.monitorCgroup ? { monitorCgroup: `${cgroupParent}/conmon` } : {}),
    });
    const host = await readSpecHost({ cgroupParent });
    return new Testbed(scratch, execRoot, runtime, host, cgroupParent, snapshots, base!.source);
  }

  /** A writable rootfs for a new container: an overlay snapshot on busybox. */
  rootfs(id: string): Promise<Mount[]> {
    return this.snapshots.prepare(`ctr-${id}`, 'busybox');
  }

  /** A spec for `request` on the busybox image, with /etc/hostname and /etc/hosts written for it. */
  async spec(
    id: string,
    request: Partial<ContainerRequest> = {},
  ): Promise<{ spec: OciSpec; warnings: string[] }> {
    const files = join(this.scratch, 'files', id);
    await mkdir(files, { recursive: true });
    const hostname = request.hostname ?? id.slice(0, 12);
    await writeFile(join(files, 'hostname'), `${hostname}\n`);
    await writeFile(join(files, 'hosts'), `127.0.0.1\tlocalhost\n127.0.0.1\t${hostname}\n`);
    const { spec, warnings } = await generateSpec(
      {
        container: { id, hostname, network: 'private', ...request },
        image: { cmd: ['sh'], env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'] },
        files: { rootfs: 'rootfs', hostnamePath: join(files, 'hostname'), hostsPath: join(files, 'hosts') },
        passwd: await readFile(join(this.imageRoot, 'etc/passwd'), 'utf8'),
        group: await readFile(join(this.imageRoot, 'etc/group'), 'utf8'),
      },
      this.host,
    );
    return { spec, warnings };
  }

  /** Creates a container running `cmd` with `request`'s settings on its own rootfs snapshot. */
  async create(
    cmd: string[],
    request: Partial<ContainerRequest> = {},
    options: { stdin?: boolean; logSizeMax?: number } = {},
  ): Promise<{ id: string; pid: number; logPath: string }> {
    const id = newId();
    const { spec } = await this.spec(id, { ...request, cmd });
    const created = await this.runtime.create(id, { spec, rootfs: await this.rootfs(id), ...options });
    return { id, pid: created.pid, logPath: created.logPath };
  }

  async dispose(): Promise<void> {
    for (const state of await this.runtime.list().catch(() => [])) {
      await this.runtime.delete(state.id, { force: true }).catch(() => undefined);
    }
    await unmountUnder(this.scratch).catch(() => undefined);
    const layout = await detectCgroupLayout();
    await removeCgroup(layout, `${this.cgroupParent}/conmon`).catch(() => undefined);
    await removeCgroup(layout, this.cgroupParent).catch(() => undefined);
    await this.snapshots.close().catch(() => undefined);
    await rm(this.scratch, { recursive: true, force: true });
  }
}
