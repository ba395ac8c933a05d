import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { mergeWithPrevious, type WorkloadReport } from './report.js';

const report = (id: string, note: string): WorkloadReport => ({
  id,
  title: id,
  target: '',
  rows: [],
  ratios: [],
  limits: [],
  notes: [note],
});

describe('benchmark report', () => {
  it('keeps the workloads a run left out, with their date, in the harness order', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-bench-report-'));
    try {
      const previous = { when: '2026-01-02T03:04:05Z', reports: [report('a', 'old'), report('b', 'old')] };
      await writeFile(join(dir, 'benchmarks.json'), JSON.stringify(previous));
      const merged = await mergeWithPrevious(
        dir,
        [report('b', 'new'), report('c', 'new')],
        ['c', 'b', 'a', 'd'],
      );
      assert.deepEqual(
        merged.map((r) => [r.id, r.notes[0], r.measuredAt]),
        [
          ['c', 'new', undefined],
          ['b', 'new', undefined],
          ['a', 'old', '2026-01-02T03:04:05Z'],
        ],
      );
      assert.deepEqual(await mergeWithPrevious(join(dir, 'none'), [report('a', 'x')], ['a']), [
        report('a', 'x'),
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
