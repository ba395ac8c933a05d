import assert from 'node:assert/strict';
import { mkdtemp, open, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type LogRecord, readLog } from './k8s-file.js';
import { keeperPipePath } from './keeper.js';
import { LogRotator, monitorLogSizeMax } from './rotation.js';

const record = (n: number) => `2026-11-29T06:13:42.${String(n).padStart(9, '0')}Z stdout F line-${n}\n`;
const numbers = (records: LogRecord[]) => records.map((r) => Number(r.content.toString().trim().slice(5)));

describe('monitorLogSizeMax', () => {
  it('bounds conmon by max-size with one file; with more the keeper writes the files', () => {
    assert.equal(monitorLogSizeMax({ maxSize: 10_000, maxFile: 1 }), 10_000);
    assert.equal(monitorLogSizeMax({ maxSize: 10_000, maxFile: 3 }), undefined);
  });
});

describe('LogRotator with a keeper (max-file)', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-rotation-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('rotates in order at max-size under a writer as fast as it goes, and a follower keeps up', async () => {
    const path = join(dir, 'container.log');
    const maxSize = 10_000;
    const rotator = new LogRotator({ path, maxSize, maxFile: 3, onError: (err) => assert.fail(String(err)) });
    await rotator.prepare();
    rotator.start();
    // The writer's side, as conmon: records in writes of many, as fast as the pipe takes them.
    const fifo = await open(keeperPipePath(path), 'w');
    const written = 20_000;
    const stopped = (async () => {
      for (let n = 0; n < written; n += 100) {
        const batch = Array.from({ length: 100 }, (_, i) => record(n + i)).join('');
        await fifo.write(batch);
      }
      await fifo.close();
      await rotator.stop();
    })();
    const followed = numbers(await collect(readLog(path, { follow: true, until: stopped, pollMs: 5 })));
    await stopped;
    // Every file within max-size, max-file of them, the newest lines kept in order.
    const files = (await readdir(dir)).filter((f) => /^container\.log(\.\d+)?$/.test(f)).sort();
    assert.deepEqual(files, ['container.log', 'container.log.1', 'container.log.2']);
    for (const f of files) assert.ok((await stat(join(dir, f))).size <= maxSize, f);
    const kept = numbers(await collect(readLog(path)));
    assert.equal(kept.at(-1), written - 1);
    assert.ok(
      kept.every((n, i) => i === 0 || n === kept[i - 1]! + 1),
      'kept lines are contiguous',
    );
    // The follower never goes back and read all that was kept.
    assert.ok(
      followed.every((n, i) => i === 0 || n > followed[i - 1]!),
      'followed lines increase',
    );
    assert.deepEqual(followed.slice(-kept.length), kept);
    // The keeper has gone, and its pid file with it.
    assert.deepEqual(
      (await readdir(dir)).filter((f) => f.endsWith('.keeper')),
      [],
    );
  });

  it('a keeper whose monitor never came ends when the rotator stops', async () => {
    const path = join(dir, 'never.log');
    const rotator = new LogRotator({
      path,
      maxSize: 1000,
      maxFile: 2,
      onError: (err) => assert.fail(String(err)),
    });
    await rotator.prepare();
    await rotator.stop();
    assert.deepEqual(
      (await readdir(dir)).filter((f) => f.startsWith('never.log.keeper')),
      [],
    );
  });
});

async function collect(records: AsyncIterable<LogRecord>): Promise<LogRecord[]> {
  const all: LogRecord[] = [];
  for await (const r of records) all.push(r);
  return all;
}
