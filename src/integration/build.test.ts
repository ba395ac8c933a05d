import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startDaemon, type TestDaemon } from '../testing/daemon.js';
import { dockerdBinary, type PeerDockerd, startPeerDockerd } from '../testing/dockerd.js';
import { bin, dockerCli, fixturesDir, fixturesMissing } from '../testing/paths.js';
import { runCommand } from '../testing/run.js';

const docker = dockerCli();
const busybox = join(fixturesDir, 'images', 'busybox.docker-archive.tar');

const MULTI_STAGE = `FROM busybox AS build
ARG GREETING=hello
RUN mkdir -p /out && echo "$GREETING from stage one" > /out/message.txt
FROM busybox
COPY --from=build /out/message.txt /app/message.txt
COPY notes.txt /app/
ENV APP_MODE=production
WORKDIR /app
USER nobody
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s CMD cat /app/message.txt
ENTRYPOINT ["cat"]
CMD ["/app/message.txt"]
`;

describe('docker build (legacy builder) against berthd', {
  skip: fixturesMissing || (docker ? false : 'no docker CLI on this machine'),
}, () => {
  let dir: string;
  let ctx: string;
  let daemon: TestDaemon;
  const env = { ...process.env, DOCKER_BUILDKIT: '0' };
  const run = (host: string, ...args: string[]) =>
    runCommand(docker!, ['-H', host, ...args], { timeoutMs: 120_000, env });
  const berth = (...args: string[]) =>
    runCommand(bin('berth'), ['-H', daemon.host, ...args], { timeoutMs: 120_000 });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-build-'));
    ctx = join(dir, 'ctx');
    await mkdir(ctx);
    await writeFile(join(ctx, 'Dockerfile'), MULTI_STAGE);
    await writeFile(join(ctx, 'notes.txt'), 'notes v1\n');
    await writeFile(join(ctx, 'secret.txt'), 'do not send\n');
    await writeFile(join(ctx, '.dockerignore'), 'secret.txt\n');
    await mkdir(join(dir, 'daemon'));
    daemon = await startDaemon({ dir: join(dir, 'daemon'), config: {} });
    const loaded = await run(daemon.host, 'load', '-i', busybox);
    assert.equal(loaded.code, 0, loaded.stderr);
  });
  after(async () => {
    if (daemon) {
      const all = await run(daemon.host, 'ps', '-aq');
      for (const id of all.stdout.split('\n').filter(Boolean)) await run(daemon.host, 'rm', '-f', id);
      await daemon.stop();
    }
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('builds a multi-stage Dockerfile whose image runs and prints the file', async () => {
    const built = await run(daemon.host, 'build', '-t', 'demo:1', ctx);
    assert.equal(built.code, 0, built.stderr + built.stdout);
    assert.match(built.stdout, /^Step 1\/13 : FROM busybox AS build$/m);
    assert.match(built.stdout, /^ ---> Running in [0-9a-f]{12}$/m);
    assert.match(built.stdout, /^Successfully tagged demo:1$/m);
    const ran = await run(
      daemon.host,
      'run',
      '--rm',
      '--entrypoint',
      'cat',
      'demo:1',
      '/app/message.txt',
      '/app/notes.txt',
    );
    assert.equal(ran.stdout, 'hello from stage one\nnotes v1\n', ran.stderr);
    const ps = await run(daemon.host, 'ps', '-aq');
    assert.equal(ps.stdout, '', 'no intermediate container is left');
  });

  it('rebuilds fully from cache, and from the changed COPY on after an edit', async () => {
    const cached = await run(daemon.host, 'build', '-t', 'demo:1', ctx);
    assert.equal(cached.code, 0, cached.stderr);
    assert.equal((cached.stdout.match(/Using cache/g) ?? []).length, 11, cached.stdout);
    await writeFile(join(ctx, 'notes.txt'), 'notes v2\n');
    const edited = await run(daemon.host, 'build', '-t', 'demo:1', ctx);
    const steps = edited.stdout.split(/^Step /m).slice(1);
    const usingCache = steps.map((s) => s.includes('Using cache'));
    // Steps 2, 3 and 5 come from cache; 6 (the edited COPY) and everything after run again.
    assert.deepEqual(usingCache, [
      false,
      true,
      true,
      false,
      true,
      false,
      false,
      false,
      false,
      false,
      false,
      false,
      false,
    ]);
    await writeFile(join(ctx, 'notes.txt'), 'notes v1\n');
  });

  it('--cache-from reuses a loaded image’s steps and reproduces its ID', async () => {
    await writeFile(join(ctx, 'notes.txt'), 'notes for cache-from\n');
    assert.equal((await run(daemon.host, 'build', '-q', '-t', 'cf:1', ctx)).code, 0);
    const archive = join(dir, 'cf.tar');
    assert.equal((await run(daemon.host, 'save', '-o', archive, 'cf:1')).code, 0);
    const original = (await run(daemon.host, 'inspect', '-f', '{{.Id}}', 'cf:1')).stdout.trim();
    // Removing it drops its intermediate images and the build cache with them.
    assert.equal((await run(daemon.host, 'rmi', 'cf:1')).code, 0);
    assert.equal((await run(daemon.host, 'load', '-i', archive)).code, 0);
    const rebuilt = await run(daemon.host, 'build', '--cache-from', 'cf:1', '-t', 'cf:2', ctx);
    assert.equal(rebuilt.code, 0, rebuilt.stderr);
    assert.equal((rebuilt.stdout.match(/Using cache/g) ?? []).length, 11, rebuilt.stdout);
    assert.equal((await run(daemon.host, 'inspect', '-f', '{{.Id}}', 'cf:2')).stdout.trim(), original);
    await writeFile(join(ctx, 'notes.txt'), 'notes v1\n');
  });

  it('ADD extracts local archives and fetches URLs; ONBUILD triggers run in the child', async () => {
    const extra = join(dir, 'ctx-add');
    await mkdir(join(extra, 'arch'), { recursive: true });
    await writeFile(join(extra, 'arch', 'inside.txt'), 'from the archive\n');
    const tar = await runCommand('tar', ['-czf', join(extra, 'pkg.tar.gz'), '-C', join(extra, 'arch'), '.']);
    assert.equal(tar.code, 0, tar.stderr);
    const server = createServer((_req, res) => res.end('downloaded\n'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    try {
      await writeFile(
        join(extra, 'Dockerfile'),
        `FROM busybox AS base\nONBUILD RUN echo trigger > /trigger\nFROM base\nADD pkg.tar.gz /x/\nADD http://127.0.0.1:${port}/file.txt /dl/\nCOPY --chown=nobody:nogroup --chmod=600 arch/inside.txt /owned\nCMD ["sh","-c","cat /x/inside.txt /dl/file.txt /trigger; stat -c '%u:%g %a' /owned"]\n`,
      );
      const built = await run(daemon.host, 'build', '-t', 'add:1', extra);
      assert.equal(built.code, 0, built.stderr + built.stdout);
      assert.match(built.stdout, /^# Executing 1 build trigger$/m);
      const ran = await run(daemon.host, 'run', '--rm', 'add:1');
      assert.equal(ran.stdout, 'from the archive\ndownloaded\ntrigger\n65534:65534 600\n', ran.stderr);
    } finally {
      server.close();
    }
  });

  it('never sends or copies what .dockerignore excludes', async () => {
    await writeFile(join(ctx, 'Dockerfile.secret'), 'FROM busybox\nCOPY secret.txt /\n');
    const r = await berth('build', '-f', join(ctx, 'Dockerfile.secret'), ctx);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /^Dockerfile line 2: COPY failed: file not found in build context or excluded by \.dockerignore: stat secret\.txt: file does not exist$/m,
    );
  });

  it('names the Dockerfile line of each error and leaves no container behind', async () => {
    const cases: [string, RegExp][] = [
      ['FROM busybox\nFOO bar\n', /dockerfile parse error line 2: unknown instruction: FOO/],
      [
        'FROM busybox\nRUN echo before; exit 3\n',
        /Dockerfile line 2: The command '\/bin\/sh -c echo before; exit 3' returned a non-zero code: 3; last output:\nbefore/,
      ],
      ['FROM busybox\nCOPY --from=nowhere /a /b\n', /Dockerfile line 2: invalid from flag value nowhere/],
      [
        'FROM busybox AS a\nCOPY --from=b /x /y\nFROM busybox AS b\n',
        /Dockerfile line 2: circular dependency detected on stage: b/,
      ],
    ];
    for (const [text, expected] of cases) {
      await writeFile(join(ctx, 'Dockerfile.bad'), text);
      const r = await berth('build', '-f', join(ctx, 'Dockerfile.bad'), ctx);
      assert.notEqual(r.code, 0, text);
      assert.match(r.stderr, expected);
    }
    const ps = await run(daemon.host, 'ps', '-aq');
    assert.equal(ps.stdout, '');
  });

  it('a build whose client goes away mid-RUN leaves no container', async () => {
    await writeFile(join(ctx, 'Dockerfile.slow'), 'FROM busybox\nRUN echo run-began; sleep 60\n');
    const child = spawn(bin('berth'), [
      '-H',
      daemon.host,
      'build',
      '--no-cache',
      '-f',
      join(ctx, 'Dockerfile.slow'),
      ctx,
    ]);
    await new Promise<void>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        // The step line names the command too: wait for the container's own output.
        if (/^run-began$/m.test(out)) resolve();
      });
      child.on('close', () => reject(new Error(`build ended early: ${out}`)));
    });
    child.kill('SIGKILL');
    let left = 'not checked';
    for (let i = 0; i < 40 && left !== ''; i++) {
      left = (await run(daemon.host, 'ps', '-aq')).stdout;
      if (left !== '') await new Promise((r) => setTimeout(r, 250));
    }
    assert.equal(left, '');
  });

  it('berth build -q --iidfile prints and writes the image ID; berth commit makes an image', async () => {
    const iid = join(dir, 'iid');
    const r = await berth('build', '-q', '--iidfile', iid, ctx);
    assert.equal(r.code, 0, r.stderr);
    const id = (await readFile(iid, 'utf8')).trim();
    assert.match(id, /^sha256:[0-9a-f]{64}$/);
    assert.equal(r.stdout.trim(), id);
    const created = await run(
      daemon.host,
      'run',
      '--name',
      'to-commit',
      '--entrypoint',
      'sh',
      id,
      '-c',
      'echo committed > /tmp/c',
    );
    assert.equal(created.code, 0, created.stderr);
    const commit = await berth(
      'commit',
      '-c',
      'CMD ["cat","/tmp/c"]',
      '-c',
      'ENTRYPOINT []',
      '-m',
      'by test',
      'to-commit',
      'committed:1',
    );
    assert.equal(commit.code, 0, commit.stderr);
    await run(daemon.host, 'rm', 'to-commit');
    const ran = await run(daemon.host, 'run', '--rm', 'committed:1');
    assert.equal(ran.stdout, 'committed\n', ran.stderr);
    const history = await run(daemon.host, 'history', '--format', '{{.Comment}}', 'committed:1');
    assert.equal(history.stdout.split('\n')[0], 'by test');
  });
});

describe('the image config and history match dockerd 20.10 legacy builder', {
  skip:
    fixturesMissing ||
    (!docker ? 'no docker CLI' : !dockerdBinary() ? 'dockerd (docker.io) is not installed' : false),
}, () => {
  let dir: string;
  let daemon: TestDaemon;
  let peer: PeerDockerd;
  const env = { ...process.env, DOCKER_BUILDKIT: '0' };
  const run = (host: string, ...args: string[]) =>
    runCommand(docker!, ['-H', host, ...args], { timeoutMs: 120_000, env });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-build-peer-'));
    await mkdir(join(dir, 'ctx'));
    await writeFile(
      join(dir, 'ctx', 'Dockerfile'),
      `${MULTI_STAGE}LABEL a=b\nVOLUME /data\nSTOPSIGNAL SIGINT\nSHELL ["/bin/sh","-ec"]\nRUN echo shell\nONBUILD RUN echo child\nARG VERSION=1.0\nARG UNUSED\nENV abc=hello\nENV abc=bye def=$abc\nRUN echo $VERSION $def > /tmp/version\nHEALTHCHECK NONE\nEXPOSE 53/udp 8000-8001\n`,
    );
    await writeFile(join(dir, 'ctx', 'notes.txt'), 'notes\n');
    await mkdir(join(dir, 'daemon'));
    [daemon, peer] = await Promise.all([
      startDaemon({ dir: join(dir, 'daemon'), config: {} }),
      startPeerDockerd(),
    ]);
    for (const host of [daemon.host, peer.host]) {
      const loaded = await run(host, 'load', '-i', busybox);
      assert.equal(loaded.code, 0, loaded.stderr);
    }
  });
  after(async () => {
    await daemon?.stop();
    await peer?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('same Cmd, Entrypoint, Env, WorkingDir, User, ports, volumes, labels and history', async () => {
    const results = [];
    for (const host of [daemon.host, peer.host]) {
      const built = await run(
        host,
        'build',
        '--build-arg',
        'VERSION=2.0',
        '--label',
        'from.cli=yes',
        '-t',
        'same:1',
        join(dir, 'ctx'),
      );
      assert.equal(built.code, 0, built.stderr);
      const config = JSON.parse(
        (await run(host, 'inspect', '--format', '{{json .Config}}', 'same:1')).stdout,
      );
      delete config.Image;
      const history = (
        await run(host, 'history', '--no-trunc', '--format', '{{.CreatedBy}}|{{.Size}}', 'same:1')
      ).stdout
        // COPY's content hash is each builder's own.
        .replace(/(COPY|ADD) (file|dir|multi):[0-9a-f]{64}/g, '$1 $2:<hash>');
      results.push({ config, history });
    }
    assert.deepEqual(results[0], results[1]);
  });
});
