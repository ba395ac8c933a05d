import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { REQUEST_KINDS, runSoak, soakProblems } from '../bench/soak.js';
import { startDaemon, type TestDaemon } from '../testing/daemon.js';
import { busyboxArchive, fixturesMissing } from '../testing/paths.js';

// The short soak: the driver of the `soak` bench workload (which runs 200 clients and
// 100 containers for 10 minutes) with fewer of each for a minute. BERTH_SOAK_SECONDS,
// BERTH_SOAK_CLIENTS and BERTH_SOAK_CONTAINERS make it longer or bigger.

const envNumber = (name: string, fallback: number) => {
  const n = Number(process.env[name]);
  return Number.isInteger(n) && n > 0 ? n : fallback;
};

describe('soak: concurrent API clients while containers stop and start', { skip: fixturesMissing }, () => {
  let daemon: TestDaemon;
  before(async () => {
    daemon = await startDaemon({ config: {} });
  });
  after(async () => {
    await daemon?.stop();
  });

  it('answers every request, keeps every container in the right state, leaks nothing', async (t) => {
    const seconds = envNumber('BERTH_SOAK_SECONDS', 60);
    const result = await runSoak({
      socket: daemon.socket,
      pid: daemon.process.pid!,
      dir: daemon.dir,
      busyboxArchive,
      clients: envNumber('BERTH_SOAK_CLIENTS', 25),
      containers: envNumber('BERTH_SOAK_CONTAINERS', 10),
      churners: 3,
      durationMs: seconds * 1000,
      warmupMs: Math.min(10_000, seconds * 200),
      sampleEveryMs: 1000,
      log: (line) => t.diagnostic(line),
    });
    for (const kind of REQUEST_KINDS) {
      assert.ok(result.latencies.get(kind)!.length > 0, `no ${kind} request succeeded`);
    }
    t.diagnostic(
      `cycles ${result.cycles}, events ${result.eventsSeen}, fds ${result.fdsBefore} -> ${result.fdsAfter}, ${JSON.stringify(result.flatness)}`,
    );
    assert.deepEqual(soakProblems(result), []);
    assert.equal(daemon.process.exitCode, null, 'berthd still runs');
  });
});
