import assert from 'node:assert/strict';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { startDaemon, type TestDaemon } from '../testing/daemon.js';
import { assertProperty } from '../testing/fuzz.js';
import { dockerCli, fixturesDir, fixturesMissing } from '../testing/paths.js';
import { runCommand } from '../testing/run.js';

// Every Engine API route of a real berthd with a client's mistakes: malformed JSON, wrong
// types, huge and truncated bodies, odd Unicode, invalid names, references and digests.
// The daemon must answer each within the timeout, never with a 5xx, and say what was wrong.

interface Reply {
  status: number;
  body: string;
}

/** Route templates; `{id}` and `{name}` are filled with fuzzed names. */
const ROUTES: [string, string][] = [
  ['POST', '/containers/create'],
  ['GET', '/containers/json'],
  ['GET', '/containers/{id}/json'],
  ['POST', '/containers/{id}/start'],
  ['POST', '/containers/{id}/stop'],
  ['POST', '/containers/{id}/restart'],
  ['POST', '/containers/{id}/kill'],
  ['DELETE', '/containers/{id}'],
  ['POST', '/containers/{id}/wait'],
  ['GET', '/containers/{id}/logs'],
  ['POST', '/auth'],
  ['GET', '/distribution/{name}/json'],
  ['GET', '/images/json'],
  ['GET', '/images/get'],
  ['GET', '/images/{name}/json'],
  ['GET', '/images/{name}/history'],
  ['GET', '/images/{name}/get'],
  ['POST', '/images/{name}/tag'],
  ['POST', '/images/{name}/push'],
  ['DELETE', '/images/{name}'],
  ['POST', '/images/load'],
  ['POST', '/images/create'],
  ['POST', '/images/prune'],
  ['GET', '/system/df'],
  ['GET', '/_ping'],
  ['GET', '/version'],
  ['GET', '/info'],
  ['GET', '/events'],
];

const oddText = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.constantFrom(
    '',
    '..',
    '../../etc/passwd',
    'UPPER/Case',
    'a:b:c',
    'busybox@sha256:zz',
    'sha256:',
    `sha256:${'0'.repeat(63)}`,
    `sha256:${'f'.repeat(64)}`,
    'busybox:-tag',
    'a//b',
    '\u202eevil',
    '🚢',
    'x'.repeat(300),
    '%00',
    '-1',
    '1e400',
    'true',
  ),
);

/** Query parameters the routes read, with values of the wrong kind. */
const QUERY_KEYS = [
  'all',
  'limit',
  'size',
  'filters',
  'name',
  'force',
  'v',
  'link',
  't',
  'signal',
  'condition',
  'follow',
  'stdout',
  'stderr',
  'since',
  'until',
  'timestamps',
  'tail',
  'fromImage',
  'fromSrc',
  'tag',
  'repo',
  'noprune',
  'names',
  'quiet',
  'platform',
  'digests',
  'shared-size',
  'manifests',
];
const query = fc
  .array(fc.tuple(fc.oneof(fc.constantFrom(...QUERY_KEYS), oddText), oddText), { maxLength: 4 })
  .map((pairs) => pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&'));

const validCreate = JSON.stringify({ Image: 'busybox', Cmd: ['true'], HostConfig: { Memory: 0 } });
const body = fc.oneof(
  fc.constant(undefined),
  fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
  // Known fields with values of the wrong type.
  fc
    .dictionary(
      fc.constantFrom(
        'Image',
        'Cmd',
        'Env',
        'HostConfig',
        'Labels',
        'ExposedPorts',
        'username',
        'password',
        'serveraddress',
        'Entrypoint',
        'User',
        'WorkingDir',
        'StopTimeout',
        'Healthcheck',
        'NetworkingConfig',
      ),
      fc.oneof(fc.jsonValue({ maxDepth: 2 }), oddText),
      { maxKeys: 5 },
    )
    .map((o) => JSON.stringify(o)),
  // Valid JSON cut short, or with a byte changed.
  fc.nat({ max: validCreate.length }).map((n) => validCreate.slice(0, n)),
  fc
    .tuple(fc.nat({ max: validCreate.length - 1 }), fc.string({ unit: 'binary', minLength: 1, maxLength: 2 }))
    .map(([at, s]) => validCreate.slice(0, at) + s + validCreate.slice(at + 1)),
  fc.string({ unit: 'binary', maxLength: 200 }),
);

describe('Engine API under fuzzed requests', {
  skip: fixturesMissing || (dockerCli() ? false : 'no docker CLI to load busybox'),
}, () => {
  let daemon: TestDaemon;
  const tried = new Map<string, number>();
  let firstBreak: string | undefined;
  const recent: string[] = [];

  const send = (
    method: string,
    path: string,
    payload?: string | Buffer,
    headers: Record<string, string> = {},
  ) =>
    new Promise<Reply>((resolve, reject) => {
      const req = request(
        {
          socketPath: daemon.socket,
          method,
          path,
          // Content-Length always: node's client sends a GET or DELETE body without framing.
          headers: {
            ...(payload !== undefined
              ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) }
              : {}),
            ...headers,
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }),
          );
        },
      );
      req.setTimeout(30_000, () => req.destroy(new Error(`${method} ${path} hung for 30 s`)));
      req.on('error', reject);
      req.end(payload);
    });

  /** A client's mistake: answered, not 5xx, and a 4xx says what was wrong. */
  const assertClientError = (what: string, reply: Reply, contactsRegistry = false) => {
    // A registry that cannot be reached (the closed port fuzzed names point at) is the
    // upstream's failure, which dockerd also reports as a 5xx gateway-style error.
    const upstream = contactsRegistry && [502, 503, 504].includes(reply.status);
    // 501 names a feature berthd lacks (import from a URL), not a fault.
    const unsupported = reply.status === 501 && /not supported/.test(reply.body);
    assert.ok(
      reply.status < 500 || upstream || unsupported,
      `${what} → ${reply.status} ${reply.body.slice(0, 300)}`,
    );
    if (reply.status >= 400) {
      const message = (JSON.parse(reply.body) as { message?: unknown }).message;
      assert.ok(typeof message === 'string' && message.length > 0, `${what}: no message in ${reply.body}`);
    }
  };

  before(async () => {
    daemon = await startDaemon({ config: {} });
    const loaded = await runCommand(dockerCli()!, [
      '-H',
      daemon.host,
      'load',
      '-i',
      join(fixturesDir, 'images', 'busybox.docker-archive.tar'),
    ]);
    assert.equal(loaded.code, 0, loaded.stderr);
  });
  after(async () => {
    if (daemon && (daemon.process.exitCode !== null || daemon.process.signalCode !== null))
      console.error(
        `berthd exited (${daemon.process.exitCode} ${daemon.process.signalCode}):\n${daemon.output().slice(-3000)}`,
      );
    if (daemon) await daemon.stop();
  });

  it('every route with fuzzed names, queries and bodies answers without a 5xx and explains a 4xx', async () => {
    await assertProperty(
      fc.asyncProperty(
        fc.constantFrom(...ROUTES),
        oddText,
        query,
        body,
        fc.constantFrom('/v1.45', '/v1.24', ''),
        async ([method, template], name, q, payload, version) => {
          // Never let a fuzzed request reach out to a real registry: names that parse as a
          // remote reference are pointed at a closed local port instead.
          const safeName = /^[a-z0-9]/.test(name) ? `127.0.0.1:1/${name}` : name;
          let path = template
            .replace('{id}', encodeURIComponent(name))
            .replace('{name}', encodeURIComponent(safeName));
          let qs = q;
          if (template === '/events') qs = `until=1&${qs}`;
          if (template === '/images/create' || template === '/auth' || template.endsWith('/push'))
            qs = qs.replace(/fromImage=[^&]*/g, 'fromImage=127.0.0.1%3A1%2Fx');
          path = `${version}${path}${qs ? `?${qs}` : ''}`;
          let sent = payload;
          if (template === '/auth' && sent !== undefined) {
            try {
              const parsed = JSON.parse(sent) as unknown;
              if (parsed && typeof parsed === 'object' && !Array.isArray(parsed))
                sent = JSON.stringify({ ...parsed, serveraddress: '127.0.0.1:1' });
            } catch {}
          }
          tried.set(template, (tried.get(template) ?? 0) + 1);
          const contactsRegistry = /^\/(auth|distribution|images\/create)|\/push$/.test(template);
          const what = `${method} ${path} ${sent?.slice(0, 200) ?? ''}`;
          const reply = await send(method, path, sent).catch((err: Error) => {
            if (!firstBreak) firstBreak = `${what}, after ${recent.join(' | ')}`;
            throw new Error(
              `the daemon stopped answering at ${firstBreak}: ${err.message}\n${daemon.output().slice(-2000)}`,
            );
          });
          recent.push(what);
          if (recent.length > 3) recent.shift();
          assertClientError(what, reply, contactsRegistry);
        },
      ),
      300,
    );
    const pong = await send('GET', '/_ping');
    assert.equal(pong.body, 'OK', 'the daemon is still up');
    assert.equal(daemon.process.exitCode, null);
  });

  it('a huge body, a lying Content-Length and odd headers are refused cleanly', async () => {
    const huge = Buffer.alloc(64 * 1024 * 1024, 0x7b);
    assertClientError('huge create', await send('POST', '/containers/create', huge));
    const truncated = await new Promise<Reply | Error>((resolve) => {
      const req = request(
        {
          socketPath: daemon.socket,
          method: 'POST',
          path: '/containers/create',
          headers: { 'content-type': 'application/json', 'content-length': '1000' },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }),
          );
        },
      );
      req.on('error', (err) => resolve(err));
      req.write('{"Image":');
      // The client goes away mid-body: the daemon must not keep anything half-done.
      setTimeout(() => req.destroy(), 200);
    });
    assert.ok(truncated instanceof Error || truncated.status < 500);
    for (const headers of <Record<string, string>[]>[
      { 'x-registry-auth': '!!!not-base64!!!' },
      { 'x-registry-auth': Buffer.from('{"username":1}').toString('base64') },
      { 'content-type': 'text/plain' },
    ]) {
      assertClientError(
        `create with ${JSON.stringify(headers)}`,
        await send('POST', '/containers/create', validCreate, headers),
      );
    }
    const pong = await send('GET', '/_ping');
    assert.equal(pong.body, 'OK');
  });
});
