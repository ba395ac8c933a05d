import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CrashDaemon, crashIterations as iterations } from '../testing/crash-rounds.js';
import { dockerCli, fixturesDir, fixturesMissing } from '../testing/paths.js';

// kill -9 of berthd at random moments of load, create and rm; after each restart and
// clean-up nothing leaked on the host, `berth system check` finds nothing wrong, and the
// interrupted operation works again. BERTH_CRASH_ITERATIONS=50 runs the nightly size.

const docker = dockerCli();
const archive = join(fixturesDir, 'images', 'layers.docker-archive.tar');

describe('kill -9 during operations, then system check', {
  skip: fixturesMissing || (docker ? false : 'no docker CLI'),
}, () => {
  let dir: string;
  let crash: CrashDaemon;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-crash-check-'));
    crash = await CrashDaemon.start(dir);
  });
  after(async () => {
    await crash?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it(`load, create and rm survive ${iterations} kills each`, async () => {
    for (let i = 0; i < iterations; i++) {
      await crash.crashDuring({ args: ['load', '-i', archive], maxDelayMs: 400 });
      const load = await crash.cli(['load', '-i', archive]);
      assert.equal(load.code, 0, load.stderr);

      const name = `crash-${i}`;
      await crash.crashDuring({
        args: ['create', '--name', name, 'fixture/layers:latest', 'true'],
        maxDelayMs: 150,
        cleanup: async () => void (await crash.cli(['rm', '-f', name])),
      });
      const created = await crash.cli(['create', '--name', `${name}-again`, 'fixture/layers:latest', 'true']);
      assert.equal(created.code, 0, created.stderr);

      await crash.crashDuring({
        args: ['rm', '-f', `${name}-again`],
        maxDelayMs: 100,
        cleanup: async () => void (await crash.cli(['rm', '-f', `${name}-again`])),
      });
      const left = await crash.cli(['ps', '-a', '--format', '{{.Names}}']);
      assert.doesNotMatch(left.stdout, new RegExp(`^${name}(-again)?$`, 'm'), left.stdout);
    }
  });
});
