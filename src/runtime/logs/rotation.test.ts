import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type LogRecord, readLog } from './k8s-file.js';
import { LogRotator, monitorLogSizeMax, splitRecords } from './rotation.js';

const record = (n: number) => `2026-11-29T06:13:42.${String(n).padStart(9, '0')}Z stdout F line-${n}\n`;
const lines = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, i) => record(from + i)).join('');
const numbers = (records: LogRecord[]) => records.map((r) => Number(r.content.toString().trim().slice(5)));

describe('splitRecords', () => {
  it('cuts the newest whole lines into pieces of at most the limit, oldest first', () => {
    const data = Buffer.from('aa\nbbbb\ncc\nd\n');
    assert.deepEqual(splitRecords(data, 5, 10), [
      { start: 0, end: 3 },
      { start: 3, end: 8 },
      { start: 8, end: 13 },
    ]);
    // Only the newest pieces are kept; a line longer than the limit is a piece of its own.
    assert.deepEqual(splitRecords(data, 5, 1), [{ start: 8, end: 13 }]);
    assert.deepEqual(splitRecords(Buffer.from('long-line\nx\n'), 4, 5), [
      { start: 0, end: 10 },
      { start: 10, end: 12 },
    ]);
  });

  it('bounds conmon by max-size with one file, by the whole budget (at least 1 MiB) with more', () => {
    assert.equal(monitorLogSizeMax({ maxSize: 10_000, maxFile: 1 }), 10_000);
    assert.equal(monitorLogSizeMax({ maxSize: 10_000, maxFile: 3 }), 1024 * 1024);
    assert.equal(monitorLogSizeMax({ maxSize: 20 << 20, maxFile: 5 }), 100 << 20);
  });
});

describe('LogRotator', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-rotation-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('rotates as conmon reopens, cuts an oversized file, and a follower reads nothing twice', async () => {
    const path = join(dir, 'container.log');
    await writeFile(path, lines(0, 10));
    // conmon's reopen, as the ctl message makes it do: take <log>.tmp (or make it), rename it over <log>.
    const reopen = async () => {
      const tmp = `${path}.tmp`;
      await writeFile(tmp, '', { flag: 'a' });
      const { rename } = await import('node:fs/promises');
      await rename(tmp, path);
    };
    const errors: unknown[] = [];
    const rotator = new LogRotator({
      path,
      maxSize: 1000,
      maxFile: 3,
      reopen,
      onError: (err) => errors.push(err),
      pollMs: 20,
    });
    let stop!: () => void;
    const until = new Promise<void>((resolve) => {
      stop = resolve;
    });
    const following = (async () => {
      const all: LogRecord[] = [];
      for await (const r of readLog(path, { follow: true, until, pollMs: 10 })) all.push(r);
      return all;
    })();
    rotator.start();
    await sleep(100);
    // A burst far past max-size before the rotator sees it: the file is cut when rotated in.
    const { appendFile } = await import('node:fs/promises');
    await appendFile(path, lines(10, 200));
    for (let i = 0; i < 50 && (await readdir(dir)).filter((f) => /\.\d$/.test(f)).length < 2; i++)
      await sleep(20);
    await appendFile(path, lines(200, 205));
    await sleep(100);
    await rotator.stop();
    stop();
    assert.deepEqual(errors, []);
    assert.deepEqual(
      numbers(await following),
      Array.from({ length: 205 }, (_, i) => i),
    );
    const files = (await readdir(dir)).sort();
    assert.deepEqual(files, ['container.log', 'container.log.1', 'container.log.2']);
    for (const f of files) assert.ok((await stat(join(dir, f))).size <= 1000, f);
    assert.match(await readFile(`${path}.1`, 'utf8'), /^#berth-origin \d+:\d+ \d+\n/);
    // A new reader: the newest lines, in order, through the end.
    const read = numbers(await collect(readLog(path)));
    assert.equal(read.at(-1), 204);
    assert.deepEqual(
      read,
      Array.from({ length: read.length }, (_, i) => read[0]! + i),
    );
  });
});

async function collect(records: AsyncIterable<LogRecord>): Promise<LogRecord[]> {
  const all: LogRecord[] = [];
  for await (const r of records) all.push(r);
  return all;
}
