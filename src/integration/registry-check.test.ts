import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openRegistryDatabaseForCheck, type RegistryDatabaseLocation } from '../registry/check.js';
import {
  backendSkipReason,
  METADATA_BACKENDS,
  postgresFor,
  type TestPostgres,
} from '../registry/testing/postgres.js';
import {
  type RegistryProcess,
  runRegistryCommand,
  startRegistryProcess,
} from '../registry/testing/process.js';
import { digestOf, ociPusher } from '../testing/oci-push.js';
import { bin } from '../testing/paths.js';

// berth-registry check on a stopped registry, with its metadata in SQLite and in a real
// PostgreSQL: each kind of damage is reported, --repair removes what nothing needs, and
// pushing the broken image again makes the store clean.

for (const backend of METADATA_BACKENDS)
  describe(`berth-registry check [--repair] (${backend} metadata)`, {
    skip: backendSkipReason(backend),
  }, () => {
    let dir: string;
    let root: string;
    let configFile: string;
    let database: RegistryDatabaseLocation;
    let postgres: TestPostgres | undefined;
    let registry: RegistryProcess | undefined;
    const pusher = ociPusher(() => registry!.address);
    const start = async () => {
      registry = await startRegistryProcess(bin('berth-registry'), ['--config', configFile]);
    };
    const check = (...args: string[]) =>
      runRegistryCommand(bin('berth-registry'), ['check', '--config', configFile, ...args]);
    const blobFile = (digest: string) => join(root, 'blobs/sha256', digest.slice(7, 9), digest.slice(7));

    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'berth-registry-check-'));
      root = join(dir, 'root');
      configFile = join(dir, 'config.yml');
      database = { path: join(root, 'registry.db') };
      postgres = await postgresFor(backend);
      if (postgres) database.url = postgres.url;
      await writeFile(
        configFile,
        `root: ${root}\n${database.url ? `database:\n  url: ${database.url}\n` : ''}`,
      );
      await start();
    });
    after(async () => {
      await registry?.stop({ kill: true });
      await postgres?.stop();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    it('names the database it cannot find', async () => {
      const wrong = join(dir, 'wrong.yml');
      await writeFile(
        wrong,
        `root: ${join(dir, 'nothing')}\n${database.url ? `database:\n  url: ${database.url.replace(/\/postgres$/, '/template1')}\n` : ''}`,
      );
      const r = await runRegistryCommand(bin('berth-registry'), ['check', '--config', wrong]);
      assert.equal(r.code, 1);
      assert.match(
        r.stderr,
        database.url
          ? /^berth-registry: no registry tables in the database at postgres:\/\/berth@127\.0\.0\.1:\d+\/template1: is database\.url right\?/
          : /^berth-registry: no registry database at \S+\/nothing\/registry\.db: is --root \(or database\.path\) right\?/,
      );
    });

    it('reports damage, repairs what is safe, and a new push heals the rest', async () => {
      const [a, b, c] = [randomBytes(5000), randomBytes(6000), randomBytes(7000)];
      await pusher.image('demo/a', '1', a);
      await pusher.image('demo/b', '1', b);
      await pusher.image('demo/c', '1', c);
      await registry!.stop();
      assert.equal((await check()).code, 0);

      // A flipped byte in a's layer, b's layer deleted, c's layer left 'deleting' by a killed
      // gc, a blob file nobody recorded, upload data without a session, a push's claim left
      // pending for two days (and one just made, which is no problem).
      const aFile = blobFile(digestOf(a));
      const bytes = await readFile(aFile);
      bytes[10] = (bytes[10] ?? 0) ^ 0xff;
      await writeFile(aFile, bytes);
      await rm(blobFile(digestOf(b)));
      const db = await openRegistryDatabaseForCheck(database, true);
      await db.run("UPDATE blobs SET state = 'deleting' WHERE digest = ?", [digestOf(c)]);
      const [stale, fresh] = [digestOf(randomBytes(10)), digestOf(randomBytes(10))];
      for (const [digest, touched] of [
        [stale, Date.now() - 2 * 86_400_000],
        [fresh, Date.now()],
      ] as const)
        await db.run("INSERT INTO blobs (digest, size, state, touched_at) VALUES (?, 10, 'pending', ?)", [
          digest,
          touched,
        ]);
      await db.close();
      const loose = randomBytes(100);
      await mkdir(join(blobFile(digestOf(loose)), '..'), { recursive: true });
      await writeFile(blobFile(digestOf(loose)), loose);
      await mkdir(join(root, 'uploads'), { recursive: true });
      await writeFile(join(root, 'uploads', 'orphan-session'), 'half');

      const report = await check();
      assert.equal(report.code, 1);
      const expected = [
        new RegExp(`^blob\\s+${digestOf(a)}\\s+content does not match its digest`),
        new RegExp(`^blob\\s+${digestOf(b)}\\s+record without its file`),
        new RegExp(`^blob\\s+${digestOf(c)}\\s+left deleting by an interrupted garbage collection`),
        new RegExp(`^blob\\s+${stale}\\s+claimed by a push that did not finish \\(pending since `),
        new RegExp(`^blob\\s+${digestOf(loose)}\\s+file without a record`),
        /^upload\s+orphan-session\s+data without a session/,
        new RegExp(`^manifest\\s+demo/a@\\S+\\s+references missing blob ${digestOf(a)}`),
        new RegExp(`^manifest\\s+demo/b@\\S+\\s+references missing blob ${digestOf(b)}`),
        new RegExp(`^manifest\\s+demo/c@\\S+\\s+references missing blob ${digestOf(c)}`),
      ];
      const lines = report.stdout.split('\n').filter(Boolean);
      assert.match(lines[0]!, /^AREA\s+SUBJECT\s+PROBLEM\s+ACTION$/);
      for (const line of expected)
        assert.ok(
          lines.some((l) => line.test(l)),
          `${line} not in:\n${report.stdout}`,
        );
      assert.equal(lines.length, expected.length + 1, report.stdout);

      const repaired = await check('--repair');
      assert.equal(repaired.code, 1, 'the manifests that lost a blob are left');
      assert.equal(repaired.stdout.match(/\s(removed|kept)/g)?.length, 6, repaired.stdout);

      // c's layer is still referenced, so it is kept as present; a and b need a push.
      const left = await check();
      assert.equal(left.stdout.split('\n').filter(Boolean).length, 3, left.stdout);
      await start();
      await pusher.image('demo/a', '1', a);
      await pusher.image('demo/b', '1', b);
      assert.equal(digestOf(await pusher.pullLayer('demo/a', '1')), digestOf(a));
      assert.equal(digestOf(await pusher.pullLayer('demo/c', '1')), digestOf(c));
      await registry!.stop();
      const clean = await check();
      assert.equal(clean.code, 0, clean.stdout);
      assert.match(clean.stdout, /no problems found/);
    });
  });
