/**
 * berth's image commands against a real dockerd, compared byte for byte with
 * the Docker CLI wherever the output is deterministic: listings, history,
 * inspect, system df, tag/rmi lines, error messages and exit codes.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { asBerth, type CliPair, cliPair } from '../testing/cli-pair.js';
import { dockerdBinary, type PeerDockerd, startPeerDockerd } from '../testing/dockerd.js';
import { dockerCli, fixturesDir, fixturesMissing } from '../testing/paths.js';
import type { RunResult } from '../testing/run.js';

const docker = dockerCli();
const skip =
  fixturesMissing ||
  (!dockerdBinary() ? 'dockerd (docker.io) is not installed' : !docker ? 'no docker CLI' : false);
const fixture = (name: string) => join(fixturesDir, 'images', name);

/** Asserts both programs printed the same (docker's name replaced by berth's) and exited alike. */
function assertSame([b, d]: [RunResult, RunResult], what: string): void {
  assert.equal(b.stdout, d.stdout, `${what}: stdout`);
  assert.equal(b.stderr, asBerth(d.stderr), `${what}: stderr`);
  assert.equal(b.code, d.code, `${what}: exit code`);
}

describe('berth image commands print what the docker CLI prints, against dockerd', { skip }, () => {
  let peer: PeerDockerd;
  let cli: CliPair;

  before(async () => {
    peer = await startPeerDockerd();
    cli = cliPair(peer.host, docker!);
    for (const name of [
      'busybox.docker-archive.tar',
      'layers.docker-archive.tar',
      'layers.dockerd-save.tar',
    ]) {
      const r = await cli.docker('load', '-i', fixture(name));
      assert.equal(r.code, 0, r.stderr);
    }
    // More tags in one repository keep docker's row order fixed (it ranges over a Go map of repositories).
    assert.equal((await cli.docker('tag', 'busybox', 'busybox:second')).code, 0);
  });
  after(async () => {
    await peer?.stop();
  });

  it('lists images in every form: table, -a, -q, --digests, --no-trunc, json, templates, filters', async () => {
    const forms = [
      ['images'],
      ['image', 'ls', '-a'],
      ['image', 'list', '-q'],
      ['images', '--digests'],
      ['images', '--no-trunc'],
      ['images', '-q', '--no-trunc', '--digests'],
      ['images', '--format', 'json'],
      ['images', '--format', '{{.Repository}}:{{.Tag}} {{.Containers}} {{.SharedSize}} {{.VirtualSize}}'],
      ['images', '--format', 'table {{.ID}}\\t{{.Repository}}', '--digests'],
      ['images', 'fixture/*'],
      ['images', '-f', 'reference=busybox:second'],
      ['images', '--filter', 'dangling=true'],
      ['images', 'ls'],
    ];
    for (const args of forms) assertSame(await cli.both(...args), args.join(' '));
  });

  it('shows history with human and raw sizes, truncated or not, and as json', async () => {
    const forms = [
      ['history', 'busybox'],
      ['image', 'history', '--no-trunc', 'fixture/layers'],
      ['history', '-H=false', 'fixture/layers-dockerd'],
      ['history', '--human=false', '--format', 'json', 'busybox'],
      ['history', '-q', 'fixture/layers'],
      ['history', '--format', '{{.ID}} {{.CreatedBy}}', 'fixture/layers'],
    ];
    for (const args of forms) assertSame(await cli.both(...args), args.join(' '));
  });

  it('inspects images with the daemon JSON, --format json and templates', async () => {
    const forms = [
      ['image', 'inspect', 'busybox', 'fixture/layers'],
      ['inspect', 'fixture/layers-dockerd'],
      ['image', 'inspect', '--format', 'json', 'busybox'],
      [
        'inspect',
        '-f',
        '{{.Id}} {{.Size}} {{.Config.Cmd}} {{index .Config.Labels "org.example.fixture"}}',
        'fixture/layers',
      ],
      ['inspect', '--type', 'image', '-f', '{{json .RootFS}}', 'busybox:second'],
      ['inspect', '-f', '{{.Missing}}', 'busybox'],
      ['inspect', '-f', '{{', 'busybox'],
      ['inspect', 'busybox', 'nonexistent'],
      ['image', 'inspect', 'nonexistent'],
      ['inspect', '--type', 'image', 'nonexistent'],
      ['inspect', '--type', 'bogus', 'busybox'],
    ];
    for (const args of forms) assertSame(await cli.both(...args), args.join(' '));
  });

  it('reports disk usage like docker system df, plain and verbose', async () => {
    const forms = [
      ['system', 'df'],
      ['system', 'df', '-v'],
      ['system', 'df', '--format', 'json'],
      ['system', 'df', '--format', 'table {{.Type}}\\t{{.Reclaimable}}'],
      ['system', 'df', '-v', '--format', '{{range .Images}}{{.Repository}} {{.UniqueSize}}\n{{end}}'],
    ];
    for (const args of forms) assertSame(await cli.both(...args), args.join(' '));
  });

  it('tags and removes with the same lines, and the same errors', async () => {
    assert.equal((await cli.berth('tag', 'busybox', 'localhost:5000/bb:x')).code, 0);
    assert.equal((await cli.docker('tag', 'busybox', 'localhost:5000/bb:y')).code, 0);
    const [b, d] = [
      await cli.berth('rmi', 'localhost:5000/bb:x'),
      await cli.docker('rmi', 'localhost:5000/bb:y'),
    ];
    assert.equal(b.stdout, 'Untagged: localhost:5000/bb:x\n');
    assert.equal(d.stdout.replace(':y', ':x'), b.stdout);
    const errors = [
      ['rmi', 'nonexistent'],
      ['rmi', '-f', 'nonexistent'],
      ['rmi', 'nonexistent', 'other'],
      ['tag', 'nonexistent', 'x'],
      ['tag', 'busybox', 'Upper'],
      ['tag', 'busybox', `x@sha256:${'a'.repeat(64)}`],
    ];
    for (const args of errors) assertSame(await cli.both(...args), args.join(' '));
  });

  it('words usage errors as docker does, with its exit codes', async () => {
    const errors = [
      ['tag', 'a'],
      ['history'],
      ['load', 'x'],
      ['rmi'],
      ['save'],
      ['image', 'inspect'],
      ['system', 'df', 'x'],
      ['image', 'prune', 'x'],
      ['import'],
      ['image', 'ls', '--bogus'],
      ['images', '-f', 'bogus'],
      ['save', '-o'],
      ['image', 'bogus'],
    ];
    for (const args of errors) assertSame(await cli.both(...args), args.join(' '));
  });
});
