import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type StatsJson, statsRow } from './stats.js';

const sample = (over: Partial<StatsJson> = {}): StatsJson => ({
  id: 'a'.repeat(64),
  name: '/web',
  cpu_stats: { cpu_usage: { total_usage: 3_000_000_000 }, system_cpu_usage: 20_000_000_000, online_cpus: 2 },
  precpu_stats: { cpu_usage: { total_usage: 2_000_000_000 }, system_cpu_usage: 18_000_000_000 },
  memory_stats: {
    usage: 10 * 1024 * 1024,
    limit: 100 * 1024 * 1024,
    stats: { total_inactive_file: 2 * 1024 * 1024 },
  },
  pids_stats: { current: 3 },
  blkio_stats: {
    io_service_bytes_recursive: [
      { op: 'Read', value: 4096 },
      { op: 'Write', value: 1_500_000 },
    ],
  },
  networks: { eth0: { rx_bytes: 1234, tx_bytes: 0 } },
  ...over,
});

describe('docker stats rows', () => {
  it('compute CPU % from the two samples, memory without inactive cache, and sum I/O', () => {
    assert.deepEqual(statsRow('web', sample(), false), {
      Container: 'web',
      ID: 'aaaaaaaaaaaa',
      Name: 'web',
      CPUPerc: '100.00%',
      MemUsage: '8MiB / 100MiB',
      MemPerc: '8.00%',
      NetIO: '1.23kB / 0B',
      BlockIO: '4.1kB / 1.5MB',
      PIDs: '3',
    });
  });

  it('show zeros for a container with no sample (stopped, with --all)', () => {
    const row = statsRow('old', sample({ memory_stats: {} }), true);
    assert.deepEqual(
      [row.CPUPerc, row.MemUsage, row.PIDs, row.ID],
      ['0.00%', '0B / 0B', '0', 'a'.repeat(64)],
    );
  });
});
