import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type DistributionProcess, startDistribution } from '../registry/testing/distribution.js';
import {
  backendSkipReason,
  METADATA_BACKENDS,
  postgresFor,
  type TestPostgres,
} from '../registry/testing/postgres.js';
import {
  nodeFlagsOf,
  type RegistryProcess,
  runRegistryCommand,
  startRegistryProcess,
} from '../registry/testing/process.js';
import { crashIterations as iterations } from '../testing/crash-rounds.js';
import { waitExit } from '../testing/daemon.js';
import {
  adminApi,
  finishedExecution,
  type Json,
  skopeo,
  skopeoAndDistributionSkipReason,
  startGovernedRegistry,
} from '../testing/governed-registry.js';
import { digestOf, imageManifest, MANIFEST_TYPE, ociPusher } from '../testing/oci-push.js';
import { bin } from '../testing/paths.js';

// kill -9 of berth-registry in the middle of chunked blob uploads (PATCH), of manifest
// PUTs, of `berth-registry gc`, of replication runs (pull and push) and of pulls through a
// proxy-cache project; after a restart `berth-registry check` finds nothing wrong and the
// operation succeeds when repeated. BERTH_CRASH_ITERATIONS sets the rounds.

/** `berth-registry check` with `args` (which name the registry's root or config). */
const registryCheck = (args: readonly string[]) =>
  runRegistryCommand(bin('berth-registry'), ['check', ...args]);

/** Stops the registry, requires a clean check, and starts it again with `start`. */
async function stoppedAndChecked(
  registry: RegistryProcess,
  checkArgs: readonly string[],
  what: string,
  start: () => Promise<void>,
): Promise<void> {
  await registry.stop();
  const r = await registryCheck(checkArgs);
  assert.equal(r.code, 0, `after a crash during ${what}:\n${r.stdout}${r.stderr}`);
  await start();
}

/** A random delay in [0, maxMs). */
const randomDelay = (maxMs: number) => sleep(Math.floor(Math.random() * maxMs));

for (const backend of METADATA_BACKENDS)
  describe(`kill -9 of berth-registry during uploads, manifest PUTs and GC, then berth-registry check (${backend} metadata)`, {
    skip: backendSkipReason(backend),
  }, () => {
    let dir: string;
    let configFile: string;
    let postgres: TestPostgres | undefined;
    let registry: RegistryProcess | undefined;
    const url = (path: string) => `http://${registry!.address}${path}`;
    const start = async () => {
      registry = await startRegistryProcess(bin('berth-registry'), ['--config', configFile]);
    };
    const check = () => registryCheck(['--config', configFile]);
    const checkedAfter = (what: string) =>
      stoppedAndChecked(registry!, ['--config', configFile], what, start);

    const pusher = ociPusher(() => registry!.address);

    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'berth-registry-crash-'));
      configFile = join(dir, 'config.yml');
      postgres = await postgresFor(backend);
      // No grace period, so a GC run has work to do at once; no scheduled GC.
      await writeFile(
        configFile,
        `root: ${join(dir, 'root')}\ngc:\n  interval: 0s\n  gracePeriod: 0s\n  deleteUntagged: true\n${
          postgres ? `database:\n  url: ${postgres.url}\n` : ''
        }`,
      );
      await start();
    });
    after(async () => {
      await registry?.stop({ kill: true });
      await postgres?.stop();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    it(`chunked uploads survive ${iterations} kills`, async () => {
      for (let i = 0; i < iterations; i++) {
        const layer = randomBytes(8 * 1024 * 1024);
        const interrupted = pusher
          .image('crash/upload', `t${i}`, layer, 256 * 1024)
          .catch(() => 'interrupted');
        await randomDelay(400);
        await registry!.stop({ kill: true });
        await interrupted;
        await start();
        await checkedAfter('a chunked upload');
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
            imageManifest(
              { digest: configDigest, size: config.length },
              { digest: layerDigest, size: layer.length },
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
        await randomDelay(60);
        await registry!.stop({ kill: true });
        await interrupted;
        await start();
        await checkedAfter('manifest PUTs');
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
        await randomDelay(600);
        gc.kill('SIGKILL');
        await waitExit(gc);
        // The restarted server finishes what the killed sweep had marked.
        await registry!.stop();
        await start();
        await checkedAfter('gc');
        // The same content pushes again and reads back; a full GC run afterwards leaves a clean store.
        await pusher.image('crash/gc', 'again', layers[0]!);
        assert.equal(digestOf(await pusher.pullLayer('crash/gc', 'again')), digestOf(layers[0]!));
      }
      await registry!.stop();
      const full = await runRegistryCommand(bin('berth-registry'), ['gc', '--config', configFile]);
      assert.equal(full.code, 0, full.stderr);
      const r = await check();
      assert.equal(r.code, 0, r.stdout + r.stderr);
      await start();
    });
  });

const missing = skopeoAndDistributionSkipReason('to replicate with and proxy');
const ADMIN_PASSWORD = 'Crash-admin-1';
const LAYER_BYTES = 16 * 1024 * 1024;

for (const backend of METADATA_BACKENDS)
  describe(`kill -9 of berth-registry during replication runs and proxy-cache pulls, then berth-registry check (${backend} metadata)`, {
    skip: missing || backendSkipReason(backend),
  }, () => {
    let dir: string;
    let root: string;
    let postgres: TestPostgres | undefined;
    let upstream: DistributionProcess;
    let server: RegistryProcess | undefined;
    const admin = adminApi<Json & Json[]>(() => server!.address, ADMIN_PASSWORD);
    const upstreamPusher = ociPusher(() => upstream.address);
    const configArgs = () => (postgres ? ['--config', join(dir, 'config.yml')] : []);
    const start = async () => {
      server = await startGovernedRegistry(root, ADMIN_PASSWORD, configArgs());
    };
    const checkedAfter = (what: string) =>
      stoppedAndChecked(server!, ['--root', root, ...configArgs()], what, start);
    /** Kills the server after a random delay of at most `maxDelayMs` and starts it again. */
    const killAndRestart = async (maxDelayMs: number) => {
      await randomDelay(maxDelayMs);
      await server!.stop({ kill: true });
      await start();
    };
    const stats: Record<string, { kills: number; midOperation: number }> = {};
    const count = (operation: string, mid: boolean) => {
      const s = stats[operation] ?? { kills: 0, midOperation: 0 };
      stats[operation] = s;
      s.kills++;
      if (mid) s.midOperation++;
    };
    // Kills land at a random moment within the time the operation took when last run whole
    // (a first guess before that), so most of them cut it short.
    const durations = new Map<string, number>();
    const took = (operation: string) => Math.max(200, durations.get(operation) ?? 1000);
    const timed = async <T>(operation: string, work: () => Promise<T>): Promise<T> => {
      const started = Date.now();
      const result = await work();
      durations.set(operation, Date.now() - started);
      return result;
    };
    /**
     * One replication round: the rule (`policy`, against the upstream) starts, the kill
     * comes, the check is clean, and the rule runs again to success.
     */
    const replicationRound = async (operation: string, policy: Json) => {
      const created = await admin('POST', '/api/v2.0/replication/policies', {
        remote: { url: `http://${upstream.address}` },
        ...policy,
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const policyId = created.body['id'] as number;
      const first = await execute(policyId);
      await killAndRestart(took(operation));
      // An execution the kill cut short is marked failed when the server starts again.
      const firstRun = await finished(first);
      const cut = firstRun['status'] !== 'succeeded';
      count(operation, cut);
      await checkedAfter(`a ${operation}`);
      const again = await finished(await execute(policyId));
      assert.equal(again['status'], 'succeeded', JSON.stringify(again));
      // The run's own clock (a repeat after a whole run copies nothing, so the first run when the kill missed it).
      const whole = cut ? again : firstRun;
      durations.set(
        operation,
        Date.parse(whole['end_time'] as string) - Date.parse(whole['start_time'] as string),
      );
    };
    /** Runs a replication rule to its end on the current server. */
    const execute = async (policyId: number) => {
      const run = await admin('POST', '/api/v2.0/replication/executions', { policy_id: policyId });
      assert.equal(run.status, 201, JSON.stringify(run.body));
      return run.body['id'] as number;
    };
    const finished = (id: number) => finishedExecution(admin, id);
    /** The manifest digest `reference` resolves to, through skopeo (as admin on berth-registry). */
    const manifestDigest = async (reference: string, creds = true) => {
      const r = await skopeo([
        'inspect',
        '--tls-verify=false',
        ...(creds ? ['--creds', `admin:${ADMIN_PASSWORD}`] : []),
        reference,
      ]);
      assert.equal(r.code, 0, r.stderr);
      return (JSON.parse(r.stdout) as { Digest: string }).Digest;
    };

    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'berth-registry-crash-gov-'));
      root = join(dir, 'root');
      postgres = await postgresFor(backend);
      if (postgres) await writeFile(join(dir, 'config.yml'), `database:\n  url: ${postgres.url}\n`);
      upstream = await startDistribution();
      await start();
      for (const project of [
        { project_name: 'hub', public: true, proxy_cache: { url: `http://${upstream.address}` } },
        { project_name: 'copy' },
        { project_name: 'team' },
      ])
        assert.equal((await admin('POST', '/api/v2.0/projects', project)).status, 201);
    });
    after(async () => {
      // The figures docs/security.md quotes: kills per operation and how many landed mid-operation.
      process.stdout.write(
        `# crash rounds (${backend}): ${JSON.stringify(stats)}, last whole runs (ms): ${JSON.stringify(Object.fromEntries(durations))}\n`,
      );
      await server?.stop({ kill: true });
      await upstream?.remove();
      await postgres?.stop();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    it(`pulls through a proxy-cache project survive ${iterations} kills`, async () => {
      for (let i = 0; i < iterations; i++) {
        // A new image upstream each round, so the cache is cold when the kill comes.
        const wanted = await upstreamPusher.image(`library/p${i}`, '1', randomBytes(LAYER_BYTES));
        const pull = () =>
          skopeo([
            'copy',
            '--src-tls-verify=false',
            `docker://${server!.address}/hub/library/p${i}:1`,
            `oci:${join(dir, `p${i}`)}:p`,
          ]);
        const interrupted = pull();
        await killAndRestart(took('proxy pull'));
        count('proxy pull', (await interrupted).code !== 0);
        await checkedAfter('a proxy-cache pull');
        const again = await timed('proxy pull', pull);
        assert.equal(again.code, 0, again.stderr);
        // The cache serves the upstream's manifest as it is (skopeo has checked every digest).
        assert.equal(await manifestDigest(`docker://${server!.address}/hub/library/p${i}:1`, false), wanted);
        await rm(join(dir, `p${i}`), { recursive: true, force: true });
      }
    });

    it(`pull replication survives ${iterations} kills`, async () => {
      for (let i = 0; i < iterations; i++) {
        const wanted = await upstreamPusher.image(`rep/r${i}`, '1', randomBytes(LAYER_BYTES));
        await replicationRound('pull replication', {
          name: `pull-${i}`,
          direction: 'pull',
          project: 'copy',
          remote_namespace: 'rep',
          repositories: [`r${i}`],
        });
        assert.equal(await manifestDigest(`docker://${server!.address}/copy/r${i}:1`), wanted);
      }
    });

    it(`push replication survives ${iterations} kills`, async () => {
      for (let i = 0; i < iterations; i++) {
        // The image comes from upstream's `seed/`, copied into team/ by skopeo as admin (which
        // compresses its layer: the remote must end up with what team/ holds).
        await upstreamPusher.image(`seed/s${i}`, '1', randomBytes(LAYER_BYTES));
        const seed = await skopeo([
          'copy',
          '--src-tls-verify=false',
          '--dest-tls-verify=false',
          '--dest-creds',
          `admin:${ADMIN_PASSWORD}`,
          `docker://${upstream.address}/seed/s${i}:1`,
          `docker://${server!.address}/team/s${i}:1`,
        ]);
        assert.equal(seed.code, 0, seed.stderr);
        const wanted = await manifestDigest(`docker://${server!.address}/team/s${i}:1`);
        await replicationRound('push replication', {
          name: `push-${i}`,
          direction: 'push',
          project: 'team',
          remote_namespace: 'pushed',
          repositories: [`s${i}`],
        });
        assert.equal(await manifestDigest(`docker://${upstream.address}/pushed/s${i}:1`, false), wanted);
      }
    });
  });
