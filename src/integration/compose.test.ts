import assert from 'node:assert/strict';
import { access, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { networkTestsUnavailable } from '../network/testing.js';
import { startDaemon, type TestDaemon } from '../testing/daemon.js';
import { dockerCli, fixturesDir, fixturesMissing } from '../testing/paths.js';
import { runCommand } from '../testing/run.js';

const COMPOSE = '/usr/bin/docker-compose';
const docker = dockerCli();
const composeMissing = await access(COMPOSE).then(
  () => undefined,
  () => 'docker-compose is not installed',
);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '0.0.0.0', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject()));
    });
  });
}

const project = (port: number) => `version: "3.8"
services:
  db:
    image: busybox
    command: sh -c 'mkdir -p /www && echo db-page > /www/index.html && echo stored > /data/x && exec httpd -f -p 80 -h /www'
    volumes: ["dbdata:/data"]
    networks: [backend]
    stop_grace_period: 1s
  web:
    image: busybox
    command: sh -c 'mkdir -p /www && while ! printf "GET / HTTP/1.0\\r\\n\\r\\n" | nc db 80 > /www/index.html; do sleep 0.2; done; exec httpd -f -p 80 -h /www'
    depends_on: [db]
    ports: ["${port}:80"]
    networks: [backend]
    stop_grace_period: 1s
volumes:
  dbdata:
networks:
  backend:
`;

describe('docker-compose 1.29 against berthd', {
  skip: fixturesMissing || (composeMissing ?? (docker ? await networkTestsUnavailable() : 'no docker CLI')),
}, () => {
  let daemon: TestDaemon;
  let dir: string;
  let port: number;
  const name = `bt${Date.now().toString(36)}`;
  const compose = (...args: string[]) =>
    runCommand(COMPOSE, ['-p', name, '-f', join(dir, 'docker-compose.yml'), ...args], {
      env: { ...process.env, DOCKER_HOST: daemon.host },
      timeoutMs: 120_000,
    });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-compose-'));
    port = await freePort();
    await writeFile(join(dir, 'docker-compose.yml'), project(port));
    daemon = await startDaemon();
    const loaded = await runCommand(docker!, [
      '-H',
      daemon.host,
      'load',
      '-i',
      join(fixturesDir, 'images', 'busybox.docker-archive.tar'),
    ]);
    assert.equal(loaded.code, 0, loaded.stderr);
  });
  after(async () => {
    if (daemon) {
      await compose('down', '-v').catch(() => {});
      await daemon.stop();
    }
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('up -d, ps and down -v: web reaches db by service name and publishes its port', async () => {
    const up = await compose('up', '-d');
    assert.equal(up.code, 0, up.stderr);
    const ps = await compose('ps');
    assert.match(ps.stdout, new RegExp(`${name}_web_1 .* Up .*0\\.0\\.0\\.0:${port}->80/tcp`));
    assert.match(ps.stdout, new RegExp(`${name}_db_1 .* Up`));
    let page = '';
    for (let i = 0; i < 50 && !page.includes('db-page'); i++) {
      page = (await runCommand('curl', ['-s', '--max-time', '2', `http://127.0.0.1:${port}/`])).stdout;
      if (!page.includes('db-page')) await new Promise((r) => setTimeout(r, 200));
    }
    assert.match(page, /db-page/, "web fetched db's page by its service name");
    const down = await compose('down', '-v');
    assert.equal(down.code, 0, down.stderr);
    const cli = (...args: string[]) => runCommand(docker!, ['-H', daemon.host, ...args]);
    assert.equal((await cli('ps', '-aq')).stdout, '');
    assert.doesNotMatch((await cli('network', 'ls')).stdout, new RegExp(name));
    assert.doesNotMatch((await cli('volume', 'ls')).stdout, new RegExp(name));
  });
});
