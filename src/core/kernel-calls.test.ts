import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { kernelMount, kernelUnmount, kernelUnmountAll } from './kernel-calls.js';
import { stopLauncher, useLauncher } from './launcher.js';

describe('kernel calls through the launcher', { skip: process.getuid?.() !== 0 && 'needs root' }, () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-kernel-calls-'));
  });
  after(async () => {
    stopLauncher();
    await rm(dir, { recursive: true, force: true });
  });
  const mountLine = async (path: string) =>
    (await readFile('/proc/self/mountinfo', 'utf8')).split('\n').find((line) => line.split(' ')[4] === path);

  it('say false without a launcher, so callers run mount(8) and friends', async () => {
    assert.equal(await kernelMount('tmpfs', dir, 'tmpfs', []), false);
    assert.equal(await kernelUnmountAll(dir), false);
    assert.equal(await mountLine(dir), undefined);
  });

  it("turn mount(8)'s flag words into mount flags and pass the rest as the filesystem's data", async () => {
    useLauncher();
    assert.equal(await kernelMount('tmpfs', dir, 'tmpfs', ['ro', 'nosuid', 'nodev', 'size=1m']), true);
    const line = (await mountLine(dir)) ?? '';
    assert.match(line, / ro,nosuid,nodev[, ]/);
    assert.match(line, / - tmpfs tmpfs ro,size=1024k/);
    assert.equal(await kernelUnmountAll(dir), true);
    assert.equal(await mountLine(dir), undefined);
    // Binds and propagation changes stay with mount(8).
    assert.equal(await kernelMount(dir, dir, 'none', ['bind']), false);
    await assert.rejects(kernelUnmount(dir), { code: 'EINVAL' });
  });
});
