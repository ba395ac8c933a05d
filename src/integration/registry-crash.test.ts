import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { nodeFlagsOf, type RegistryProcess, startRegistryProcess } from '../registry/testing/process.js';
import { crashIterations as iterations } from '../testing/crash-rounds.js';
import { waitExit } from '../testing/daemon.js';
import { bin } from '../testing/paths.js';
import { runCommand } from '../testing/run.js';

// kill -9 of berth-registry in the middle of chunked blob uploads (PATCH) and of
// `berth-registry gc`; after a restart `berth-registry check` finds nothing wrong and the
// push succeeds when repeated. BERTH_CRASH_ITERATIONS sets the rounds.

const MANIFEST_TYPE = 'application/vnd.oci.image.manifest.v1+json';
const digestOf = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

describe('kill -9 of berth-registry during uploads and GC, then berth-registry check', () => {
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

  /** Uploads `bytes` in chunks of `chunk` bytes (POST, PATCH…, PUT ?digest). */
  const uploadChunked = async (repo: string, bytes: Buffer, chunk: number): Promise<string> => {
    const digest = digestOf(bytes);
    const begun = await fetch(url(`/v2/${repo}/blobs/uploads/`), { method: 'POST' });
    assert.equal(begun.status, 202);
    let location = new URL(begun.headers.get('location')!, url('/')).toString();
    for (let offset = 0; offset < bytes.length; offset += chunk) {
      const part = bytes.subarray(offset, offset + chunk);
      const patched = await fetch(location, {
        method: 'PATCH',
        headers: {
          'content-type': 'application/octet-stream',
          'content-range': `${offset}-${offset + part.length - 1}`,
        },
        body: part,
      });
      assert.equal(patched.status, 202, await patched.text());
      location = new URL(patched.headers.get('location')!, url('/')).toString();
    }
    const done = await fetch(`${location}${location.includes('?') ? '&' : '?'}digest=${digest}`, {
      method: 'PUT',
    });
    assert.equal(done.status, 201, await done.text());
    return digest;
  };
  const uploadWhole = async (repo: string, bytes: Buffer): Promise<string> => {
    const digest = digestOf(bytes);
    const r = await fetch(url(`/v2/${repo}/blobs/uploads/?digest=${digest}`), {
      method: 'POST',
      body: bytes,
    });
    assert.equal(r.status, 201, await r.text());
    return digest;
  };
  /** An image of one layer: config, layer, manifest under `tag`; returns the manifest digest. */
  const pushImage = async (repo: string, tag: string, layer: Buffer, chunk?: number) => {
    const layerDigest = chunk ? await uploadChunked(repo, layer, chunk) : await uploadWhole(repo, layer);
    const config = Buffer.from(
      JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        rootfs: { type: 'layers', diff_ids: [layerDigest] },
      }),
    );
    const configDigest = await uploadWhole(repo, config);
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MANIFEST_TYPE,
        config: {
          mediaType: 'application/vnd.oci.image.config.v1+json',
          digest: configDigest,
          size: config.length,
        },
        layers: [
          { mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: layerDigest, size: layer.length },
        ],
      }),
    );
    const put = await fetch(url(`/v2/${repo}/manifests/${tag}`), {
      method: 'PUT',
      headers: { 'content-type': MANIFEST_TYPE },
      body: manifest,
    });
    assert.equal(put.status, 201, await put.text());
    return digestOf(manifest);
  };
  /** The pushed layer comes back whole. */
  const pullLayer = async (repo: string, tag: string): Promise<Buffer> => {
    const m = await fetch(url(`/v2/${repo}/manifests/${tag}`), { headers: { accept: MANIFEST_TYPE } });
    assert.equal(m.status, 200);
    const { layers } = (await m.json()) as { layers: { digest: string }[] };
    const blob = await fetch(url(`/v2/${repo}/blobs/${layers[0]!.digest}`));
    assert.equal(blob.status, 200);
    return Buffer.from(await blob.arrayBuffer());
  };

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
      const interrupted = pushImage('crash/upload', `t${i}`, layer, 256 * 1024).catch(() => 'interrupted');
      await sleep(Math.floor(Math.random() * 400));
      await registry!.stop({ kill: true });
      await interrupted;
      await start();
      await stoppedAndChecked('a chunked upload');
      await pushImage('crash/upload', `t${i}`, layer, 256 * 1024);
      assert.equal(digestOf(await pullLayer('crash/upload', `t${i}`)), digestOf(layer));
    }
  });

  it(`gc survives ${iterations} kills`, async () => {
    for (let i = 0; i < iterations; i++) {
      // Garbage: 60 images whose manifests are deleted, so GC removes their links and blobs.
      const layers = Array.from({ length: 60 }, () => randomBytes(4096));
      for (const [n, layer] of layers.entries()) {
        const digest = await pushImage('crash/gc', `g${n}`, layer);
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
      await pushImage('crash/gc', 'again', layers[0]!);
      assert.equal(digestOf(await pullLayer('crash/gc', 'again')), digestOf(layers[0]!));
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
