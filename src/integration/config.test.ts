import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { startDaemon } from '../testing/daemon.js';

/** Starts berthd with a bad daemon.json and returns its exit code and output. */
async function failingStart(options: { configText?: string; config?: unknown; args?: string[] }) {
  const daemon = await startDaemon({ ...options, expectExit: true });
  try {
    return { code: daemon.process.exitCode, output: daemon.output(), file: daemon.configFile };
  } finally {
    await daemon.stop();
  }
}

const systemdIsPid1 = async () =>
  (await readFile('/proc/1/comm', 'utf8').catch(() => '')).trim() === 'systemd';

describe('berthd refuses a bad daemon.json with the file, the key and the reason', () => {
  const cases: { name: string; text: string; key: RegExp; reason: RegExp }[] = [
    {
      name: 'syntax error',
      text: '{"debug": true,\n  "log-driver": }',
      key: /line 2, column 17/,
      reason: /invalid JSON/,
    },
    {
      name: 'unknown key',
      text: '{"no-such-key": 1}',
      key: /no-such-key/,
      reason: /don't match any configuration option/,
    },
    { name: 'wrong type', text: '{"debug": "yes"}', key: /debug/, reason: /expected a boolean/ },
    {
      name: 'bad size',
      text: '{"log-opts": {"max-size": "10zb"}}',
      key: /log-opts\.max-size/,
      reason: /invalid size "10zb"/,
    },
    { name: 'bad bip', text: '{"bip": "10.0.0.300/24"}', key: /bip/, reason: /invalid/ },
    { name: 'bad mirror', text: '{"registry-mirrors": ["ftp://x"]}', key: /registry-mirrors/, reason: /./ },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const r = await failingStart({ configText: c.text });
      assert.notEqual(r.code, 0);
      assert.ok(r.output.includes(r.file), `names the file: ${r.output}`);
      assert.match(r.output, c.key);
      assert.match(r.output, c.reason);
    });
  }

  it('a flag that conflicts with the file names both values', async () => {
    const r = await failingStart({ config: { bip: '10.66.0.1/24' }, args: ['--bip', '10.77.0.1/24'] });
    assert.notEqual(r.code, 0);
    assert.match(
      r.output,
      /specified both as a flag and in the configuration file: bip: \(from flag: 10\.77\.0\.1\/24, from file: 10\.66\.0\.1\/24\)/,
    );
  });

  it('native.cgroupdriver=systemd without systemd as PID 1 is a start-up error', {
    skip: false,
  }, async (t) => {
    if (await systemdIsPid1()) return t.skip('systemd is PID 1 here');
    const r = await failingStart({
      config: {
        'exec-opts': ['native.cgroupdriver=systemd'],
        'log-driver': 'json-file',
        'log-opts': { 'max-size': '100m' },
        'insecure-registries': ['https://hub.example.test'],
        'registry-mirrors': ['https://mirror.example.test'],
      },
    });
    assert.notEqual(r.code, 0);
    assert.match(r.output, /exec-opts: native\.cgroupdriver=systemd: systemd is not running as PID 1/);
  });

  it('plain TCP without TLS needs an explicit --tls=false', async () => {
    const r = await failingStart({ args: ['-H', 'tcp://127.0.0.1:2375'] });
    assert.notEqual(r.code, 0);
    assert.match(r.output, /TLS/);
  });
});
