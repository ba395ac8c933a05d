import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FIXTURE_IDS, imageFixture } from '../images/testing.js';
import { startDaemon, type TestDaemon } from '../testing/daemon.js';
import { dockerdBinary, type PeerDockerd, startPeerDockerd } from '../testing/dockerd.js';
import { dockerCli, fixturesMissing } from '../testing/paths.js';
import { runCommand } from '../testing/run.js';

const docker = dockerCli();
const skip = !dockerdBinary()
  ? 'dockerd (docker.io) is not installed'
  : !docker
    ? 'no docker CLI'
    : fixturesMissing;

describe('archives move between berthd and a real dockerd', { skip }, () => {
  let berthd: TestDaemon;
  let peer: PeerDockerd;
  const on = async (host: string, ...args: string[]) => {
    const result = await runCommand(docker!, ['-H', host, ...args], { timeoutMs: 60_000 });
    assert.equal(result.code, 0, `docker ${args.join(' ')}: ${result.stderr}`);
    return result.stdout;
  };
  const id = (host: string, name: string) =>
    on(host, 'image', 'inspect', '-f', '{{.Id}}', name).then((s) => s.trim());

  before(async () => {
    [berthd, peer] = await Promise.all([startDaemon(), startPeerDockerd()]);
  });
  after(async () => {
    await Promise.all([berthd?.stop(), peer?.stop()]);
  });

  it('an archive berthd saved loads into dockerd with the same IDs, and runs there', async () => {
    await on(berthd.host, 'load', '-i', imageFixture('layers.oci-archive.tar')!);
    await on(berthd.host, 'load', '-i', imageFixture('busybox.docker-archive.tar')!);
    const archive = join(berthd.dir, 'from-berth.tar');
    await on(berthd.host, 'save', '-o', archive, 'fixture/layers', 'busybox');
    const loaded = await on(peer.host, 'load', '-i', archive);
    assert.equal(loaded, 'Loaded image: fixture/layers:latest\nLoaded image: busybox:latest\n');
    assert.equal(await id(peer.host, 'fixture/layers'), FIXTURE_IDS.layers);
    assert.equal(await id(peer.host, 'busybox'), FIXTURE_IDS.busybox);
    assert.equal(await on(peer.host, 'run', '--rm', '--network', 'none', 'fixture/layers'), 'c\n');
  });

  it('an archive dockerd saved loads into berthd with the same ID', async () => {
    await on(peer.host, 'load', '-i', imageFixture('layers.dockerd-save.tar')!);
    const archive = join(berthd.dir, 'from-dockerd.tar');
    await on(peer.host, 'save', '-o', archive, 'fixture/layers-dockerd');
    assert.equal(
      await on(berthd.host, 'load', '-i', archive),
      'Loaded image: fixture/layers-dockerd:latest\n',
    );
    assert.equal(await id(berthd.host, 'fixture/layers-dockerd'), FIXTURE_IDS.layersDockerd);
  });
});
