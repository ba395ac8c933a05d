import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { get } from 'node:http';
import { describe, it } from 'node:test';
import { runCommand } from '../core/exec.js';
import { buildahBinary, startPeerBuildah } from './buildah.js';
import { distributionBinary, startPeerDistribution } from './distribution.js';

function status(url: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const req = get(url, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on('error', () => resolve(undefined));
  });
}

describe('benchmark peers', () => {
  it('starts Distribution on a free loopback port and stops it by PID, leaving nothing', {
    skip: !distributionBinary() && 'docker-registry is not installed',
  }, async () => {
    const peer = (await startPeerDistribution())!;
    try {
      assert.match(peer.address, /^127\.0\.0\.1:\d+$/);
      assert.equal(await status(`http://${peer.address}/v2/`), 200);
    } finally {
      await peer.stop();
    }
    assert.notEqual(peer.process.exitCode ?? peer.process.signalCode, null, 'the process has ended');
    assert.equal(await status(`http://${peer.address}/v2/`), undefined, 'nothing answers on its port');
  });

  it('gives buildah storage of its own and removes it', {
    skip: !buildahBinary() && 'buildah is not installed',
  }, async () => {
    const peer = (await startPeerBuildah())!;
    const root = peer.args[peer.args.indexOf('--root') + 1]!;
    try {
      const images = await runCommand('buildah', [...peer.args, 'images', '--quiet']);
      assert.equal(images.stdout.trim(), '', 'a fresh store has no images');
      assert.ok(existsSync(root));
    } finally {
      await peer.stop();
    }
    assert.equal(existsSync(root), false);
    const mounts = await runCommand('cat', ['/proc/self/mountinfo']);
    assert.equal(mounts.stdout.includes(root), false, 'no mount of its storage is left');
  });
});
