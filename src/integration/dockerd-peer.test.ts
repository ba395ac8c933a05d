import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { dockerdBinary, type PeerDockerd, startPeerDockerd } from '../testing/dockerd.js';
import { bin, dockerCli } from '../testing/paths.js';
import { runCommand } from '../testing/run.js';

const docker = dockerCli();
const skip = !dockerdBinary() ? 'dockerd (docker.io) is not installed' : !docker ? 'no docker CLI' : false;

describe('berth is a real Engine API client: it works against dockerd', { skip }, () => {
  let peer: PeerDockerd;
  before(async () => {
    peer = await startPeerDockerd();
  });
  after(async () => {
    await peer?.stop();
  });

  // Go prints the Runtimes map in random order; compare the set.
  const server = (s: string) =>
    s
      .slice(s.indexOf('\nServer:'))
      .replace(
        /^ Runtimes: (.*)$/m,
        (_m, names: string) => ` Runtimes: ${names.split(' ').sort().join(' ')}`,
      );

  it('berth version shows dockerd and negotiates down to its API version', async () => {
    const [b, d] = await Promise.all([
      runCommand(bin('berth'), ['-H', peer.host, 'version']),
      runCommand(docker!, ['-H', peer.host, 'version']),
    ]);
    assert.equal(b.code, 0, b.stderr);
    assert.match(b.stdout, /^ API version:\s+1\.41 \(downgraded from 1\.45\)$/m);
    assert.equal(server(b.stdout), server(d.stdout));
  });

  it('berth info prints the same server section as docker info', async () => {
    const [b, d] = await Promise.all([
      runCommand(bin('berth'), ['-H', peer.host, 'info']),
      runCommand(docker!, ['-H', peer.host, 'info']),
    ]);
    assert.equal(b.code, 0, b.stderr);
    assert.equal(server(b.stdout), server(d.stdout));
    assert.equal(b.stderr, d.stderr);
  });

  it('DOCKER_HOST selects the daemon when neither -H nor BERTH_HOST is given', async () => {
    const env = { ...process.env, DOCKER_HOST: peer.host, BERTH_HOST: '' };
    const r = await runCommand(bin('berth'), ['version', '--format', '{{.Server.ApiVersion}}'], { env });
    assert.equal(r.stdout, '1.41\n');
  });
});
