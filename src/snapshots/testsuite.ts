import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ErrorKind, kindOf } from '../core/errors.js';
import { mountAll, unmount, unmountUnder } from './mount.js';
import { type Mount, SnapshotKind, type Snapshotter } from './snapshotter.js';

/**
 * The conformance suite every Snapshotter implementation runs (as containerd's
 * overlay runs its SnapshotterSuite). It mounts for real, so it needs root.
 * `create` makes a snapshotter on an empty directory; `skip` gives the reason
 * a host cannot run it.
 */
export function snapshotterSuite(
  name: string,
  create: (root: string) => Promise<Snapshotter>,
  options: { skip?: string } = {},
): void {
  describe(`Snapshotter conformance: ${name}`, { skip: options.skip }, () => {
    let scratch: string;
    let n = 0;
    const fresh = async () => {
      const dir = await mkdtemp(join(scratch, `s${n++}-`));
      const snapshotter = await create(join(dir, 'root'));
      return { snapshotter, dir };
    };
    /** Mounts, runs `fn` on the mounted tree, always unmounts. */
    const withMounted = async <T>(mounts: Mount[], fn: (dir: string) => Promise<T>): Promise<T> => {
      const target = await mkdtemp(join(scratch, 'mnt-'));
      await mountAll(mounts, target);
      try {
        return await fn(target);
      } finally {
        await unmount(target);
        await rm(target, { recursive: true, force: true });
      }
    };
    /** prepare + write + commit: a committed layer named `name` on `parent`. */
    const layer = async (
      s: Snapshotter,
      name: string,
      parent: string | undefined,
      write: (dir: string) => Promise<void>,
    ) => {
      await withMounted(await s.prepare(`${name}-active`, parent), write);
      await s.commit(name, `${name}-active`);
    };
    const kindOfFailure = async (promise: Promise<unknown>) =>
      kindOf(
        await promise.then(
          () => undefined,
          (err: unknown) => err,
        ),
      );

    before(async () => {
      scratch = await mkdtemp(join(tmpdir(), 'berth-snapshotter-'));
    });
    after(async () => {
      await unmountUnder(scratch);
      await rm(scratch, { recursive: true, force: true });
    });

    it('prepares, commits and stacks layers', async () => {
      const { snapshotter: s } = await fresh();
      await layer(s, 'base', undefined, (dir) => writeFile(join(dir, 'a'), 'base'));
      await layer(s, 'next', 'base', async (dir) => {
        assert.equal(await readFile(join(dir, 'a'), 'utf8'), 'base');
        await writeFile(join(dir, 'b'), 'next');
      });
      const info = await s.stat('next');
      assert.equal(info.kind, SnapshotKind.Committed);
      assert.equal(info.parent, 'base');
      assert.equal(await kindOfFailure(s.stat('next-active')), ErrorKind.NotFound);
      await withMounted(await s.view('look', 'next'), async (dir) => {
        assert.deepEqual((await readdir(dir)).sort(), ['a', 'b']);
        await assert.rejects(writeFile(join(dir, 'c'), 'x'), { code: 'EROFS' });
      });
      assert.equal((await s.stat('look')).kind, SnapshotKind.View);
      await withMounted(await s.view('one', 'base'), async (dir) =>
        assert.deepEqual(await readdir(dir), ['a']),
      );
    });

    it('hides lower files behind whiteouts and opaque directories', async () => {
      const { snapshotter: s } = await fresh();
      await layer(s, 'lower', undefined, async (dir) => {
        await writeFile(join(dir, 'gone'), 'x');
        await mkdir(join(dir, 'd'));
        await writeFile(join(dir, 'd', 'old'), 'x');
      });
      await layer(s, 'upper', 'lower', async (dir) => {
        await unlink(join(dir, 'gone'));
        await rm(join(dir, 'd'), { recursive: true });
        await mkdir(join(dir, 'd'));
        await writeFile(join(dir, 'd', 'new'), 'y');
      });
      await layer(s, 'top', 'upper', (dir) => writeFile(join(dir, 'top'), 'z'));
      await withMounted(await s.view('v', 'top'), async (dir) => {
        assert.deepEqual((await readdir(dir)).sort(), ['d', 'top']);
        assert.deepEqual(await readdir(join(dir, 'd')), ['new']);
      });
    });

    it('refuses bad requests with the right kinds', async () => {
      const { snapshotter: s } = await fresh();
      await layer(s, 'p', undefined, async () => {});
      await s.prepare('child', 'p');
      await s.view('v', 'p');
      assert.equal(await kindOfFailure(s.remove('p')), ErrorKind.FailedPrecondition);
      assert.equal(await kindOfFailure(s.prepare('child', 'p')), ErrorKind.AlreadyExists);
      assert.equal(await kindOfFailure(s.prepare('x', 'missing')), ErrorKind.NotFound);
      assert.equal(await kindOfFailure(s.prepare('x', 'child')), ErrorKind.InvalidArgument);
      assert.equal(await kindOfFailure(s.commit('c', 'v')), ErrorKind.FailedPrecondition);
      assert.equal(await kindOfFailure(s.commit('p', 'child')), ErrorKind.AlreadyExists);
      assert.equal(await kindOfFailure(s.mounts('p')), ErrorKind.FailedPrecondition);
      assert.equal(await kindOfFailure(s.remove('missing')), ErrorKind.NotFound);
      await s.remove('child');
      await s.remove('v');
      await s.remove('p');
      assert.equal(await kindOfFailure(s.stat('p')), ErrorKind.NotFound);
    });

    it('mounts a chain of 120 layers and shows the top file', async () => {
      const { snapshotter: s } = await fresh();
      let parent: string | undefined;
      for (let i = 0; i < 120; i++) {
        await layer(s, `layer-${i}`, parent, (dir) => writeFile(join(dir, 'top'), String(i)));
        parent = `layer-${i}`;
      }
      await withMounted(await s.prepare('container', parent), async (dir) => {
        assert.equal(await readFile(join(dir, 'top'), 'utf8'), '119');
        await writeFile(join(dir, 'mine'), 'rw');
      });
      await withMounted(await s.view('ro', parent), async (dir) => {
        assert.equal(await readFile(join(dir, 'top'), 'utf8'), '119');
      });
    });

    it('counts usage in bytes and inodes', async () => {
      const { snapshotter: s } = await fresh();
      const empty = await (async () => {
        await s.prepare('u', undefined);
        return s.usage('u');
      })();
      await withMounted(await s.mounts('u'), async (dir) => {
        await writeFile(join(dir, 'data'), Buffer.alloc(100_000, 1));
        await mkdir(join(dir, 'sub'));
      });
      const used = await s.usage('u');
      assert.equal(used.inodes, empty.inodes + 2);
      assert.ok(used.size >= empty.size + 100_000, `size ${used.size}`);
      await s.commit('u-done', 'u');
      assert.deepEqual(await s.usage('u-done'), used);
    });

    it('updates labels, walks with filters, and refuses calls after close', async () => {
      const { snapshotter: s } = await fresh();
      await s.prepare('a', undefined, { labels: { role: 'x', keep: '1' } });
      await s.commit('b', 'a', { labels: { stage: 'done' } });
      await s.prepare('c', 'b');
      const info = await s.stat('b');
      assert.deepEqual(info.labels, { role: 'x', keep: '1', stage: 'done' });
      const updated = await s.update({ ...info, labels: { role: 'y' } }, ['labels.role', 'labels.keep']);
      assert.deepEqual(updated.labels, { role: 'y', stage: 'done' });
      const seen: string[] = [];
      await s.walk((i) => void seen.push(i.name), { kind: SnapshotKind.Committed, labels: { role: 'y' } });
      assert.deepEqual(seen, ['b']);
      await s.close();
      assert.equal(await kindOfFailure(s.stat('b')), ErrorKind.FailedPrecondition);
    });

    it('keeps its state across a reopen', async () => {
      const { snapshotter: s, dir } = await fresh();
      await layer(s, 'kept', undefined, (d) => writeFile(join(d, 'f'), 'kept'));
      await s.close();
      const again = await create(join(dir, 'root'));
      assert.equal((await again.stat('kept')).kind, SnapshotKind.Committed);
      await withMounted(await again.view('v', 'kept'), async (d) =>
        assert.equal(await readFile(join(d, 'f'), 'utf8'), 'kept'),
      );
    });
  });
}
