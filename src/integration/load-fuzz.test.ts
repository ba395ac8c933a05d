import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { startDaemon, type TestDaemon } from '../testing/daemon.js';
import { assertProperty } from '../testing/fuzz.js';
import { bin, fixturesDir, fixturesMissing } from '../testing/paths.js';
import { runCommand } from '../testing/run.js';

// Mutated image archives through POST /images/load of a real berthd: each is loaded or
// refused with a 4xx that says why, the daemon stays up, and its stopped store passes
// `berth system check` afterwards.

interface Reply {
  status: number;
  body: string;
}

describe('docker load of mutated archives', { skip: fixturesMissing }, () => {
  let dir: string;
  let daemon: TestDaemon;
  let archive: Buffer;
  const post = (payload: Buffer) =>
    new Promise<Reply>((resolve, reject) => {
      const req = request(
        {
          socketPath: daemon.socket,
          method: 'POST',
          path: '/v1.45/images/load?quiet=1',
          headers: { 'content-type': 'application/x-tar', 'content-length': String(payload.length) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }),
          );
        },
      );
      req.setTimeout(60_000, () => req.destroy(new Error('load hung for 60 s')));
      req.on('error', reject);
      req.end(payload);
    });

  before(async () => {
    archive = await readFile(join(fixturesDir, 'images', 'busybox.docker-archive.tar'));
    dir = await mkdtemp(join(tmpdir(), 'berth-load-fuzz-'));
    daemon = await startDaemon({ dir, config: {} });
  });
  after(async () => {
    await daemon?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('each mutated archive loads or is refused clearly; the store stays consistent', async (t) => {
    // Mutations aimed at the tar headers and JSON files (the first and last blocks of each
    // member), plus cuts and random junk anywhere.
    const mutation = fc.record({
      flips: fc.array(
        fc.record({
          at: fc.oneof(
            fc.nat({ max: 4096 }),
            fc.nat({ max: archive.length - 1 }),
            fc.nat({ max: 4096 }).map((n) => archive.length - 1 - n),
          ),
          byte: fc.nat({ max: 255 }),
        }),
        { minLength: 1, maxLength: 8 },
      ),
      cut: fc.option(fc.nat({ max: archive.length }), { nil: undefined }),
    });
    let loaded = 0;
    let refused = 0;
    await assertProperty(
      fc.asyncProperty(mutation, async ({ flips, cut }) => {
        const copy = Buffer.from(archive);
        for (const { at, byte } of flips) copy[at] = byte;
        const reply = await post(copy.subarray(0, cut ?? copy.length));
        assert.ok(reply.status < 500, `${reply.status} ${reply.body.slice(0, 300)}`);
        // A load streams JSON messages; a failure after the headers went out is an errorDetail line.
        if (reply.status >= 400 || /"error(Detail)?"/.test(reply.body)) {
          refused++;
          assert.match(reply.body, /"(message|error)":"[^"]+"/, reply.body);
        } else loaded++;
      }),
      60,
    );
    t.diagnostic(`mutated archives: ${loaded} loaded, ${refused} refused`);
    assert.ok(refused > 0, 'some mutations were refused');
    const ping = await runCommand('curl', ['-sS', '--unix-socket', daemon.socket, 'http://berth/_ping']);
    assert.equal(ping.stdout, 'OK');
    // The store the daemon leaves behind is consistent.
    await daemon.stop();
    daemon = await startDaemon({ dir, config: {} });
    await daemon.stop();
    const check = await runCommand(process.execPath, [
      bin('berth'),
      'system',
      'check',
      '--data-root',
      join(dir, 'data'),
      '--pidfile',
      join(dir, 'berthd.pid'),
    ]);
    assert.equal(check.code, 0, `${check.stdout}${check.stderr} (loaded ${loaded}, refused ${refused})`);
    daemon = await startDaemon({ dir, config: {} });
  });
});
