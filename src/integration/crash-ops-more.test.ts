import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type CrashRound, crashIterations as iterations, withCrashDaemon } from '../testing/crash-rounds.js';
import { dockerCli, fixturesMissing } from '../testing/paths.js';

// kill -9 of berthd at a random moment of exec, volume create/rm, network connect/disconnect,
// tag/rmi and push (to a local Distribution registry). Each round: restart, remove what the
// operation made, nothing leaked on the host, `berth system check` clean, and the same
// operation then succeeds. BERTH_CRASH_ITERATIONS sets the rounds.

const docker = dockerCli();
const skip = fixturesMissing || (!docker ? 'no docker CLI' : process.getuid?.() !== 0 && 'needs root');

describe('kill -9 during exec, volume, network connect, tag/rmi and push', { skip }, () => {
  const suite = withCrashDaemon('berth-crash-ops-more-');
  const { ok } = suite;
  const quietly = (...commands: string[][]) =>
    async function cleanup() {
      for (const args of commands) await suite.crash.cli(args);
    };
  /** A crash round, then `prepare` and the same operation run to completion, then its clean-up. */
  const roundThenAgain = async (
    prepare: () => Promise<unknown>,
    round: CrashRound & { cleanup: () => Promise<void> },
  ) => {
    await prepare();
    await suite.crash.crashDuring(round);
    await prepare();
    await ok(round.args);
    await round.cleanup();
  };

  it(`exec survives ${iterations} kills`, async () => {
    for (let i = 0; i < iterations; i++) {
      const name = `crash-exec-${i}`;
      // The target is made anew when the crash took it down (or left it running).
      const target = async () => {
        const state = await suite.crash.cli(['inspect', '-f', '{{.State.Running}}', name]);
        if (state.stdout.trim() === 'true') return;
        await suite.crash.cli(['rm', '-f', name]);
        await ok(['run', '-d', '--name', name, 'busybox', 'sleep', '60']);
      };
      await roundThenAgain(target, {
        args: ['exec', name, 'sh', '-c', 'echo ran > /ran; cat /ran'],
        maxDelayMs: 400,
        cleanup: quietly(['rm', '-f', name]),
      });
    }
  });

  it(`volume create and rm survive ${iterations} kills each`, async () => {
    for (let i = 0; i < iterations; i++) {
      const name = `crash-vol-${i}`;
      await roundThenAgain(async () => {}, {
        args: ['volume', 'create', name],
        maxDelayMs: 150,
        cleanup: quietly(['volume', 'rm', '-f', name]),
      });
      await roundThenAgain(() => suite.crash.cli(['volume', 'create', name]), {
        args: ['volume', 'rm', name],
        maxDelayMs: 150,
        cleanup: quietly(['volume', 'rm', '-f', name]),
      });
    }
  });

  it(`network connect and disconnect survive ${iterations} kills each`, async () => {
    for (let i = 0; i < iterations; i++) {
      const net = `crash-conn-net-${i}`;
      const name = `crash-conn-${i}`;
      const container = async (connected: boolean) => {
        const state = await suite.crash.cli(['inspect', '-f', '{{.State.Running}}', name]);
        if (state.stdout.trim() !== 'true') {
          await suite.crash.cli(['rm', '-f', name]);
          await ok(['run', '-d', '--name', name, 'busybox', 'sleep', '60']);
        }
        if ((await suite.crash.cli(['network', 'inspect', net])).code !== 0)
          await ok(['network', 'create', net]);
        await suite.crash.cli(['network', connected ? 'connect' : 'disconnect', net, name]);
      };
      const cleanup = quietly(['rm', '-f', name], ['network', 'rm', net]);
      await roundThenAgain(() => container(false), {
        args: ['network', 'connect', net, name],
        maxDelayMs: 500,
        cleanup,
      });
      await roundThenAgain(() => container(true), {
        args: ['network', 'disconnect', net, name],
        maxDelayMs: 500,
        cleanup,
      });
    }
  });

  it(`tag and rmi survive ${iterations} kills each`, async () => {
    for (let i = 0; i < iterations; i++) {
      const ref = `crash-tag:${i}`;
      await roundThenAgain(async () => {}, {
        args: ['tag', 'busybox', ref],
        maxDelayMs: 120,
        cleanup: quietly(['rmi', ref]),
      });
      await roundThenAgain(() => suite.crash.cli(['tag', 'busybox', ref]), {
        args: ['rmi', ref],
        maxDelayMs: 120,
        cleanup: quietly(['rmi', ref]),
      });
    }
    // busybox itself is still whole.
    assert.equal(await ok(['run', '--rm', 'busybox', 'echo', 'whole']), 'whole\n');
  });

  it(`push to a registry survives ${iterations} kills`, async () => {
    for (let i = 0; i < iterations; i++) {
      const ref = `${suite.registry.host}/crash/pushed:${i}`;
      await roundThenAgain(() => suite.crash.cli(['tag', 'busybox', ref]), {
        args: ['push', ref],
        maxDelayMs: 600,
        cleanup: quietly(['rmi', ref]),
      });
    }
    const again = `${suite.registry.host}/crash/pushed:0`;
    assert.equal((await suite.crash.cli(['pull', again])).code, 0);
  });
});
