import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { type CrashRound, crashIterations as iterations, withCrashDaemon } from '../testing/crash-rounds.js';
import { pushBusybox, skopeoBinary } from '../testing/governed-registry.js';
import { dockerCli, fixturesMissing } from '../testing/paths.js';

// kill -9 of berthd at a random moment of pull, build, run, network create and commit.
// Each round: restart, remove what the operation made, nothing leaked on the host
// (mounts, rules, bridges, veths, netns, cgroups, conmon, temp files), `berth system
// check` clean, and the same operation then succeeds. BERTH_CRASH_ITERATIONS sets the rounds.

const docker = dockerCli();
const skip =
  fixturesMissing ||
  (!docker ? 'no docker CLI' : !skopeoBinary ? 'no skopeo' : process.getuid?.() !== 0 && 'needs root');

describe('kill -9 during pull, build, run, network create and commit', { skip }, () => {
  const suite = withCrashDaemon('berth-crash-ops-', async (registry) => {
    const pushed = await pushBusybox(`docker://${registry.host}/crash/busybox:1`);
    assert.equal(pushed.code, 0, pushed.stderr);
  });
  const { ok } = suite;
  /** A crash round, then the same operation run to completion, then its clean-up. */
  const roundThenAgain = async (round: CrashRound & { cleanup: () => Promise<void> }) => {
    await suite.crash.crashDuring(round);
    await ok(round.args, round.env);
    await round.cleanup();
  };
  const quietly = (args: string[]) => async () => void (await suite.crash.cli(args));

  it(`pull survives ${iterations} kills`, async () => {
    const ref = `${suite.registry.host}/crash/busybox:1`;
    for (let i = 0; i < iterations; i++)
      await roundThenAgain({ args: ['pull', ref], maxDelayMs: 400, cleanup: quietly(['rmi', '-f', ref]) });
  });

  it(`build (COPY and RUN) survives ${iterations} kills`, async () => {
    const context = join(suite.dir, 'context');
    await mkdir(context, { recursive: true });
    await writeFile(
      join(context, 'Dockerfile'),
      'FROM busybox\nCOPY stamp /stamp\nRUN cat /stamp > /copied && echo built >> /copied\n',
    );
    const env = { ...process.env, DOCKER_BUILDKIT: '0' };
    for (let i = 0; i < iterations; i++) {
      // A new stamp each round, so COPY and RUN really run instead of coming from the cache.
      await writeFile(join(context, 'stamp'), `${Date.now()}-${i}\n`);
      await roundThenAgain({
        args: ['build', '-t', `crash-build:${i}`, context],
        env,
        maxDelayMs: 1500,
        cleanup: quietly(['rmi', '-f', `crash-build:${i}`]),
      });
    }
  });

  it(`run (create and start) survives ${iterations} kills`, async () => {
    for (let i = 0; i < iterations; i++) {
      const name = `crash-run-${i}`;
      await roundThenAgain({
        args: ['run', '-d', '--name', name, '-p', '127.0.0.1::80', 'busybox', 'sleep', '60'],
        maxDelayMs: 800,
        cleanup: quietly(['rm', '-f', name]),
      });
    }
  });

  it(`network create survives ${iterations} kills`, async () => {
    for (let i = 0; i < iterations; i++) {
      const name = `crash-net-${i}`;
      await roundThenAgain({
        args: ['network', 'create', name],
        maxDelayMs: 300,
        cleanup: quietly(['network', 'rm', name]),
      });
    }
  });

  it(`commit of a running container survives ${iterations} kills`, async () => {
    for (let i = 0; i < iterations; i++) {
      const source = `crash-commit-src-${i}`;
      await ok(['run', '-d', '--name', source, 'busybox', 'sh', '-c', 'echo changed > /changed; sleep 60']);
      await roundThenAgain({
        args: ['commit', source, `crash-commit:${i}`],
        maxDelayMs: 400,
        cleanup: quietly(['rmi', '-f', `crash-commit:${i}`]),
      });
      const state = await ok(['inspect', '-f', '{{.State.Status}}', source]);
      assert.match(state, /running|exited/, 'the committed container is not left paused');
      await ok(['rm', '-f', source]);
    }
  });
});
