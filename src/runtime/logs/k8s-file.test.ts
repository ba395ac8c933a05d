import assert from 'node:assert/strict';
import { appendFile, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { logOutput } from '../testing/output.js';
import { Testbed, testbedSkipReason } from '../testing/testbed.js';
import { type LogRecord, parseLogLine, parseTimestamp, readLog } from './k8s-file.js';

const line = (text: string) => parseLogLine(Buffer.from(text));

describe('k8s-file records', () => {
  it('parses full and partial lines', () => {
    const full = line('2026-11-29T06:13:42.861245423+00:00 stdout F hello world');
    assert.equal(full?.stream, 'stdout');
    assert.equal(full?.partial, false);
    assert.equal(full?.content.toString(), 'hello world\n');
    assert.equal(full?.timeNano, 1_795_932_822_861_245_423n);
    const partial = line('2026-11-29T07:13:42.5+01:00 stderr P abc');
    assert.equal(partial?.partial, true);
    assert.equal(partial?.content.toString(), 'abc');
    assert.equal(partial?.timeNano, 1_795_932_822_500_000_000n);
    assert.equal(line('2026-11-29T06:13:42.861245423+00:00 stdout F ')?.content.toString(), '\n');
    assert.equal(line('2026-11-29T06:13:42.861245423+00:00 stdout F')?.content.toString(), '\n');
  });
  it('skips malformed lines', () => {
    assert.equal(line('garbage'), undefined);
    assert.equal(line('2026-11-29T06:13:42Z stdin F x'), undefined);
    assert.equal(line('yesterday stdout F x'), undefined);
  });
  it('reads timestamps in any offset to the same instant', () => {
    assert.equal(
      parseTimestamp('2026-01-01T01:00:00.000000001+01:00'),
      parseTimestamp('2026-01-01T00:00:00.000000001Z'),
    );
  });
});

describe('readLog', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-k8s-log-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads a missing file as empty and a file in order', async () => {
    assert.deepEqual(await collectRecords(readLog(join(dir, 'none.log'))), []);
    const path = join(dir, 'a.log');
    await writeFile(
      path,
      'T stdout F x\n2026-11-29T06:13:42.1Z stdout P ab\n2026-11-29T06:13:42.2Z stdout F c\n',
    );
    const records = await collectRecords(readLog(path));
    assert.deepEqual(
      records.map((r) => r.content.toString()),
      ['ab', 'c\n'],
    );
  });

  it('follows new records and a file replaced under it, until told to stop', async () => {
    const path = join(dir, 'b.log');
    await writeFile(path, '2026-11-29T06:13:42.1Z stdout F one\n');
    let stop!: () => void;
    const until = new Promise<void>((resolve) => {
      stop = resolve;
    });
    const reading = collectRecords(readLog(path, { follow: true, until, pollMs: 10 }));
    await sleep(50);
    await appendFile(path, '2026-11-29T06:13:42.2Z stderr F two\n');
    await sleep(50);
    // conmon's --log-size-max: a new file renamed over the old one.
    await writeFile(`${path}.tmp`, '2026-11-29T06:13:42.3Z stdout F three\n');
    await rename(`${path}.tmp`, path);
    await sleep(50);
    stop();
    assert.deepEqual(
      (await reading).map((r) => `${r.stream}:${r.content.toString().trim()}`),
      ['stdout:one', 'stderr:two', 'stdout:three'],
    );
  });

  it('reads rotated files oldest first and follows the current file across a rotation', async () => {
    const path = join(dir, 'r.log');
    const rec = (n: number) => `2026-11-29T06:13:42.${n}Z stdout F r${n}\n`;
    await writeFile(`${path}.2`, rec(1));
    await writeFile(`${path}.1`, rec(2));
    await writeFile(path, rec(3));
    const text = (records: LogRecord[]) => records.map((r) => r.content.toString().trim());
    assert.deepEqual(text(await collectRecords(readLog(path))), ['r1', 'r2', 'r3']);
    let stop!: () => void;
    const until = new Promise<void>((resolve) => {
      stop = resolve;
    });
    const reading = collectRecords(readLog(path, { follow: true, until, pollMs: 10 }));
    await sleep(50);
    // As the keeper rotates: the old file gets its last record, the files shift, a new one is made.
    await appendFile(path, rec(4));
    await rename(`${path}.1`, `${path}.2`);
    await rename(path, `${path}.1`);
    await writeFile(path, rec(6));
    // Two more rotations before the follower looks: it reads the file between them too.
    await rename(`${path}.1`, `${path}.2`);
    await rename(path, `${path}.1`);
    await writeFile(path, rec(7));
    await sleep(50);
    stop();
    assert.deepEqual(text(await reading), ['r1', 'r2', 'r3', 'r4', 'r6', 'r7']);
  });
});

const skip = await testbedSkipReason();

describe('conmon writes k8s-file logs', { skip }, () => {
  let bed: Testbed;
  before(async () => {
    bed = await Testbed.create();
  });
  after(async () => {
    await bed?.dispose();
  });

  it('as partial and full records that give back the exact output', async () => {
    const { id, logPath } = await bed.create([
      'sh',
      '-c',
      'printf abc; sleep 0.2; printf "def\\nghi"; echo err >&2',
    ]);
    await bed.runtime.start(id);
    await bed.runtime.wait(id);
    const records = await collectRecords(readLog(logPath));
    assert.deepEqual(
      records.map((r) => [r.stream, r.partial, r.content.toString()]),
      [
        ['stdout', true, 'abc'],
        ['stdout', false, 'def\n'],
        ['stdout', true, 'ghi'],
        ['stderr', false, 'err\n'],
      ],
    );
    await bed.runtime.delete(id);
  });

  it('starts over when log-size-max is reached', async () => {
    const script = 'for i in $(seq 1 40); do echo line-$i; done';
    const { id, logPath } = await bed.create(['sh', '-c', script], {}, { logSizeMax: 1000 });
    await bed.runtime.start(id);
    await bed.runtime.wait(id);
    const { stdout } = await logOutput(logPath);
    assert.match(stdout, /line-40\n$/);
    assert.doesNotMatch(stdout, /^line-1\n/);
    await bed.runtime.delete(id);
  });

  it('can be followed while the container runs, ending when it exits', async () => {
    const { id, logPath } = await bed.create([
      'sh',
      '-c',
      'for i in 1 2 3; do echo tick $i; sleep 0.1; done',
    ]);
    await bed.runtime.start(id);
    const records = await collectRecords(
      readLog(logPath, { follow: true, until: bed.runtime.wait(id), pollMs: 20 }),
    );
    assert.equal(records.map((r) => r.content.toString()).join(''), 'tick 1\ntick 2\ntick 3\n');
    await bed.runtime.delete(id);
  });
});

async function collectRecords(records: AsyncIterable<LogRecord>): Promise<LogRecord[]> {
  const all: LogRecord[] = [];
  for await (const record of records) all.push(record);
  return all;
}
