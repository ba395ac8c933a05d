import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { earlyEndpoint } from './main.js';

describe('earlyEndpoint', () => {
  const env = { DOCKER_HOST: 'unix:///env.sock' };
  it('reads -H in each of commander’s spellings before the command', () => {
    for (const argv of [
      ['-H', 'unix:///h.sock', 'run', 'busybox'],
      ['--host', 'unix:///h.sock', 'run'],
      ['--host=unix:///h.sock', 'ps'],
      ['-Hunix:///h.sock', 'ps'],
      ['-D', '-l', 'debug', '-H', '/h.sock', 'ps'],
    ]) {
      assert.equal(earlyEndpoint(argv, env)?.socketPath, '/h.sock', argv.join(' '));
    }
  });
  it('falls back to the environment, and stops at the command', () => {
    assert.equal(earlyEndpoint(['run', '-H', 'unix:///not-global.sock'], env)?.socketPath, '/env.sock');
  });
  it('gives up on flags it does not know, and on hosts it cannot parse', () => {
    assert.equal(earlyEndpoint(['--tlsverify', '-H', 'tcp://h:2376', 'ps'], env), undefined);
    assert.equal(earlyEndpoint(['-H', 'ssh:/nope', 'ps'], env), undefined);
  });
});
