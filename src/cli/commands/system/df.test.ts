import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { verboseTables } from './df.js';
import { summaryRows } from './df-summary.js';
import type { DiskUsage } from './df-types.js';

const NOW = Date.UTC(2024, 0, 2);
const created = NOW / 1000 - 3600 * 5;

const usage: DiskUsage = {
  LayersSize: 10_000_000,
  Images: [
    {
      Id: `sha256:${'a'.repeat(64)}`,
      RepoTags: ['app:1'],
      Created: created,
      Size: 6_000_000,
      SharedSize: 2_000_000,
      Containers: 1,
    },
    {
      Id: `sha256:${'b'.repeat(64)}`,
      RepoTags: [],
      Created: created,
      Size: 4_000_000,
      SharedSize: 2_000_000,
      Containers: 0,
    },
  ],
  Containers: [
    {
      Id: 'c'.repeat(64),
      Names: ['/web'],
      Image: 'app:1',
      ImageID: `sha256:${'a'.repeat(64)}`,
      Command: 'nginx -g "daemon off;"',
      Created: created,
      State: 'running',
      Status: 'Up 5 hours',
      SizeRw: 1000,
      Mounts: [{ Driver: 'local', Name: 'data' }],
    },
    {
      Id: 'e'.repeat(64),
      Names: ['/old'],
      Image: 'app:1',
      ImageID: 'x',
      Command: 'true',
      Created: created,
      State: 'exited',
      Status: 'Exited (0)',
      SizeRw: 3000,
    },
  ],
  Volumes: [
    { Name: 'data', UsageData: { Size: 4096, RefCount: 1 } },
    { Name: 'spare', UsageData: { Size: 1024, RefCount: 0 } },
  ],
  BuildCache: [],
};

describe('system df', () => {
  it('sums up each kind with docker reclaimable figures', () => {
    const rows = summaryRows(usage).map((r) => [r.Type, r.TotalCount, r.Active, r.Size, r.Reclaimable]);
    assert.deepEqual(rows, [
      ['Images', '2', '1', '10MB', '6MB (60%)'],
      ['Containers', '2', '1', '4kB', '3kB (75%)'],
      ['Local Volumes', '2', '1', '5.12kB', '1.024kB (20%)'],
      ['Build Cache', '0', '0', '0B', '0B'],
    ]);
  });

  it('lists images, containers and volumes verbosely', () => {
    const text = verboseTables(usage, NOW);
    assert.match(
      text,
      /^Images space usage:\n\nREPOSITORY +TAG +IMAGE ID +CREATED +SIZE +SHARED SIZE +UNIQUE SIZE +CONTAINERS\n/,
    );
    assert.match(text, /^app +1 +aaaaaaaaaaaa +5 hours ago +6MB +2MB +4MB +1$/m);
    assert.match(text, /^<none> +<none> +bbbbbbbbbbbb /m);
    assert.match(
      text,
      /^cccccccccccc +app:1 +"nginx -g \\"daemon of…" +1 +1kB +5 hours ago +Up 5 hours +web$/m,
    );
    assert.match(text, /^spare +0 +1.024kB$/m);
    assert.match(
      text,
      /\nBuild cache usage: 0B\n\nCACHE ID +CACHE TYPE +SIZE +CREATED +LAST USED +USAGE +SHARED\n$/,
    );
  });
});
