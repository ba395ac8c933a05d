import assert from 'node:assert/strict';
import { request } from 'node:http';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { buildTar } from '../snapshots/tar/build.js';
import { withBusyboxDaemon } from '../testing/busybox-daemon.js';
import { INTERNAL_ERROR, mutatedDockerfile } from '../testing/dockerfile-mutations.js';
import { assertProperty } from '../testing/fuzz.js';
import { dockerCli, fixturesMissing } from '../testing/paths.js';

// Mutated Dockerfiles through POST /build of a real berthd (the legacy builder the Docker
// CLI drives with DOCKER_BUILDKIT=0): each builds, or fails in-band with an error that
// names a line of the file; never a 5xx, a daemon-side exception or a hang, and the
// daemon answers afterwards. The first line stays `FROM busybox` (loaded), so no build
// goes to a registry.

interface Reply {
  status: number;
  lines: { errorDetail?: { message?: string }; error?: string; stream?: string }[];
  raw: string;
}

/** Failures of a build as a whole; every other one must name its line. */
const WHOLE_BUILD = /^(file with no instructions|No image was generated\. Is your Dockerfile empty\?)$/;

describe('POST /build with mutated Dockerfiles', {
  skip: fixturesMissing || (dockerCli() ? false : 'no docker CLI'),
}, () => {
  const fixture = withBusyboxDaemon('berth-build-fuzz-');
  const build = (context: Buffer) =>
    new Promise<Reply>((resolve, reject) => {
      const req = request(
        {
          socketPath: fixture.daemon.socket,
          method: 'POST',
          path: '/v1.41/build?rm=1&forcerm=1&q=1',
          headers: { 'content-type': 'application/x-tar', 'content-length': String(context.length) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const raw = Buffer.concat(chunks).toString();
            const lines = raw
              .split('\n')
              .filter(Boolean)
              .map((l) => {
                try {
                  return JSON.parse(l) as Reply['lines'][number];
                } catch {
                  return { error: `not JSON: ${l}` };
                }
              });
            resolve({ status: res.statusCode ?? 0, lines, raw });
          });
        },
      );
      req.setTimeout(60_000, () => req.destroy(new Error('build hung for 60 s')));
      req.on('error', reject);
      req.end(context);
    });

  it('builds each mutated Dockerfile or names the line it refuses', { timeout: 900_000 }, async (t) => {
    let built = 0;
    let refused = 0;
    await assertProperty(
      fc.asyncProperty(mutatedDockerfile({ keepFrom: true }), async ({ text, lineCount }) => {
        const context = buildTar([
          { name: 'Dockerfile', body: text },
          { name: 'notes.txt', body: 'notes\n' },
        ]);
        const reply = await build(context);
        assert.equal(reply.status, 200, reply.raw.slice(0, 300));
        const failure = reply.lines.find((l) => l.errorDetail || l.error);
        if (!failure) {
          built++;
          return;
        }
        refused++;
        const message = failure.errorDetail?.message ?? failure.error ?? '';
        assert.doesNotMatch(message, INTERNAL_ERROR, `${message}\n---\n${text}`);
        if (WHOLE_BUILD.test(message)) return;
        const line = /[Ll]ine (\d+): ./.exec(message);
        assert.ok(line, `no line named: ${message}\n---\n${text}`);
        assert.ok(Number(line[1]) >= 1 && Number(line[1]) <= lineCount, `${message}\n---\n${text}`);
      }),
      40,
    );
    t.diagnostic(`mutated Dockerfiles: ${built} built, ${refused} refused`);
    assert.ok(refused > 0, 'some mutations were refused');
    const ping = await fixture.run('version', '--format', '{{.Server.Version}}');
    assert.equal(ping.code, 0, ping.stderr);
  });
});
