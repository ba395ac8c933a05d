import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { nodeFlagsOf, type RegistryProcess, startRegistryProcess } from '../registry/testing/process.js';
import { crashIterations as iterations } from '../testing/crash-rounds.js';
import { waitExit } from '../testing/daemon.js';
import { digestOf, MANIFEST_TYPE, ociPusher } from '../testing/oci-push.js';
import { bin } from '../testing/paths.js';
import { runCommand } from '../testing/run.js';

// kill -9 of berth-registry in the middle of chunked blob uploads (PATCH), of manifest
// PUTs and of `berth-registry gc`; after a restart `berth-registry check` finds nothing wrong and the
// push succeeds when repeated. BERTH_CRASH_ITERATIONS sets the rounds.

describe('kill -9 of berth-registry during uploads, manifest PUTs and GC, then berth-registry check', () => {
  let dir: string;
  let configFile: string;
  let registry: RegistryProcess | undefined;
  const url = (path: string) => `http://${registry!.address}${path}`;
  const start = async () => {
    registry = await startRegistryProcess(bin('berth-registry'), ['--config', configFile]);
  };
  const check = (...args: string[]) =>
    runCommand(process.execPath, [
      ...nodeFlagsOf(bin('berth-registry')),
      bin('berth-registry'),
      'check',
      '--config',
      configFile,
      ...args,
    ]);
  /** Stops the registry, requires a clean check, starts it again. */
  const stoppedAndChecked = async (what: string) => {
    await registry!.stop();
    const r = await check();
    assert.equal(r.code, 0, `after a crash during ${what}:\n${r.stdout}${r.stderr}`);
    await start();
  };

  const pusher = ociPusher(() => registry!.address);

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-registry-crash-'));
    configFile = join(dir, 'config.yml');
    // No grace period, so a GC run has work to do at once; no scheduled GC.
    await writeFile(
      configFile,
      `root: ${join(dir, 'root')}\ngc:\n  interval: 0s\n  gracePeriod: 0s\n  deleteUntagged: true\n`,
    );
    await start();
  });
  after(async () => {
    await registry?.stop({ kill: true });
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it(`chunked uploads survive ${iterations} kills`, async () => {
    for (let i = 0; i < iterations; i++) {
      const layer = randomBytes(8 * 1024 * 1024);
      const interrupted = pusher.image('crash/upload', `t${i}`, layer, 256 * 1024).catch(() => 'interrupted');
      await sleep(Math.floor(Math.random() * 400));
      await registry!.stop({ kill: true });
      await interrupted;
      await start();
      await stoppedAndChecked('a chunked upload');
      await pusher.image('crash/upload', `t${i}`, layer, 256 * 1024);
      assert.equal(digestOf(await pusher.pullLayer('crash/upload', `t${i}`)), digestOf(layer));
    }
  });

  it(`manifest PUTs survive ${iterations} kills`, async () => {
    for (let i = 0; i < iterations; i++) {
      // 40 manifests (each its own config) over one layer, PUT side by side; the kill lands among them.
      const layer = randomBytes(64 * 1024);
      const layerDigest = await pusher.uploadWhole('crash/manifest', layer);
      const manifests: Buffer[] = [];
      for (let n = 0; n < 40; n++) {
        const config = Buffer.from(JSON.stringify({ os: 'linux', architecture: 'amd64', n, i }));
        const configDigest = await pusher.uploadWhole('crash/manifest', config);
        manifests.push(
          Buffer.from(
            JSON.stringify({
              schemaVersion: 2,
              mediaType: MANIFEST_TYPE,
              config: {
                mediaType: 'application/vnd.oci.image.config.v1+json',
                digest: configDigest,
                size: config.length,
              },
              layers: [
                {
                  mediaType: 'application/vnd.oci.image.layer.v1.tar',
                  digest: layerDigest,
                  size: layer.length,
                },
              ],
            }),
          ),
        );
      }
      const putAll = () =>
        Promise.all(
          manifests.map((body, n) =>
            fetch(url(`/v2/crash/manifest/manifests/m${i}-${n}`), {
              method: 'PUT',
              headers: { 'content-type': MANIFEST_TYPE },
              body,
            }).then(
              (r) => r.status,
              () => 0,
            ),
          ),
        );
      const interrupted = putAll();
      await sleep(Math.floor(Math.random() * 60));
      await registry!.stop({ kill: true });
      await interrupted;
      await start();
      await stoppedAndChecked('manifest PUTs');
      // Every manifest PUTs again, and each tag reads back the bytes that were sent.
      assert.deepEqual(new Set(await putAll()), new Set([201]));
      for (const [n, body] of manifests.entries()) {
        const got = await fetch(url(`/v2/crash/manifest/manifests/m${i}-${n}`), {
          headers: { accept: MANIFEST_TYPE },
        });
        assert.equal(got.status, 200);
        assert.equal(digestOf(Buffer.from(await got.arrayBuffer())), digestOf(body));
      }
    }
  });

  it(`gc survives ${iterations} kills`, async () => {
    for (let i = 0; i < iterations; i++) {
      // Garbage: 60 images whose manifests are deleted, so GC removes their links and blobs.
      const layers = Array.from({ length: 60 }, () => randomBytes(4096));
      for (const [n, layer] of layers.entries()) {
        const digest = await pusher.image('crash/gc', `g${n}`, layer);
        const del = await fetch(url(`/v2/crash/gc/manifests/${digest}`), { method: 'DELETE' });
        assert.equal(del.status, 202);
      }
      const gc = spawn(
        process.execPath,
        [...nodeFlagsOf(bin('berth-registry')), bin('berth-registry'), 'gc', '--config', configFile],
        {
          stdio: 'ignore',
        },
      );
      await sleep(Math.floor(Math.random() * 600));
      gc.kill('SIGKILL');
      await waitExit(gc);
      // The restarted server finishes what the killed sweep had marked.
      await registry!.stop();
      await start();
      await stoppedAndChecked('gc');
      // The same content pushes again and reads back; a full GC run afterwards leaves a clean store.
      await pusher.image('crash/gc', 'again', layers[0]!);
      assert.equal(digestOf(await pusher.pullLayer('crash/gc', 'again')), digestOf(layers[0]!));
    }
    await registry!.stop();
    const full = await runCommand(process.execPath, [
      ...nodeFlagsOf(bin('berth-registry')),
      bin('berth-registry'),
      'gc',
      '--config',
      configFile,
    ]);
    assert.equal(full.code, 0, full.stderr);
    const r = await check();
    assert.equal(r.code, 0, r.stdout + r.stderr);
    await start();
  });
});
