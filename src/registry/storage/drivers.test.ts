import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe } from 'node:test';
import { createFilesystemDriver } from './fs-driver.js';
import { createMemoryDriver } from './memory-driver.js';
import { storageDriverSuite } from './testsuite.js';

describe('filesystem storage driver', () => {
  const dirs: string[] = [];
  after(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });
  storageDriverSuite(async () => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-registry-fs-'));
    dirs.push(dir);
    return createFilesystemDriver(dir);
  });
});

describe('memory storage driver', () => {
  storageDriverSuite(async () => createMemoryDriver());
});
