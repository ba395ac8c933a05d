import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { type RegistryProcess, startRegistryProcess } from '../registry/testing/process.js';
import { assertProperty } from '../testing/fuzz.js';
import { bin } from '../testing/paths.js';

// Every berth-registry route with a client's mistakes: invalid names, references, digests,
// ranges, upload ids and bodies. Each is answered, never with a 5xx, and a 4xx carries the
// distribution spec's error body; the registry stays up.

interface Reply {
  status: number;
  body: string;
}

const ROUTES: [string, string][] = [
  ['GET', '/v2/'],
  ['GET', '/v2/_catalog'],
  ['GET', '/v2/{name}/tags/list'],
  ['GET', '/v2/{name}/manifests/{ref}'],
  ['HEAD', '/v2/{name}/manifests/{ref}'],
  ['PUT', '/v2/{name}/manifests/{ref}'],
  ['DELETE', '/v2/{name}/manifests/{ref}'],
  ['GET', '/v2/{name}/blobs/{digest}'],
  ['HEAD', '/v2/{name}/blobs/{digest}'],
  ['DELETE', '/v2/{name}/blobs/{digest}'],
  ['POST', '/v2/{name}/blobs/uploads/'],
  ['GET', '/v2/{name}/blobs/uploads/{ref}'],
  ['PATCH', '/v2/{name}/blobs/uploads/{ref}'],
  ['PUT', '/v2/{name}/blobs/uploads/{ref}'],
  ['DELETE', '/v2/{name}/blobs/uploads/{ref}'],
  ['GET', '/v2/{name}/referrers/{digest}'],
  ['GET', '/token'],
  ['POST', '/token'],
];

const odd = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.constantFrom(
    '',
    'library/busybox',
    'a/b/c/d',
    'UPPER',
    '..',
    '../..',
    '%2e%2e',
    'a//b',
    'a_b',
    'a__b',
    '-a',
    'x'.repeat(300),
    'latest',
    'v1.0',
    `sha256:${'0'.repeat(64)}`,
    `sha256:${'0'.repeat(63)}`,
    'sha512:abc',
    'sha256:ZZ',
    '00000000-0000-0000-0000-000000000000',
    '🚢',
    '\u202e',
  ),
);
const path = fc
  .array(odd, { minLength: 1, maxLength: 3 })
  .map((parts) => parts.map(encodeURIComponent).join('/'));
const QUERY_KEYS = [
  'n',
  'last',
  'digest',
  'mount',
  'from',
  'artifactType',
  'scope',
  'service',
  'account',
  'offline_token',
];
const query = fc
  .array(fc.tuple(fc.oneof(fc.constantFrom(...QUERY_KEYS), odd), odd), { maxLength: 3 })
  .map((pairs) => pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&'));
const headers = fc.record(
  {
    'content-type': fc.constantFrom(
      'application/vnd.oci.image.manifest.v1+json',
      'application/vnd.docker.distribution.manifest.v2+json',
      'application/octet-stream',
      'application/x-www-form-urlencoded',
      'text/plain',
    ),
    range: fc.oneof(
      fc.constantFrom(
        'bytes=0-',
        'bytes=-1',
        'bytes=5-2',
        'bytes=0-0,2-3',
        'bytes=99999999999999999999-',
        'items=0-1',
      ),
      fc.tuple(fc.integer(), fc.integer()).map(([a, b]) => `bytes=${a}-${b}`),
    ),
    'content-range': fc.oneof(
      fc.constantFrom('0-', '0-0', '5-1', '-1-3', 'bytes 0-1/2'),
      fc.tuple(fc.integer(), fc.integer()).map(([a, b]) => `${a}-${b}`),
    ),
  },
  { requiredKeys: [] },
);
const body = fc.oneof(
  fc.constant(undefined),
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
  fc
    .record(
      {
        schemaVersion: fc.oneof(fc.constant(2), fc.jsonValue({ maxDepth: 1 })),
        mediaType: fc.oneof(fc.constant('application/vnd.oci.image.manifest.v1+json'), odd),
        config: fc.oneof(
          fc.record({ digest: odd, size: fc.integer(), mediaType: odd }),
          fc.jsonValue({ maxDepth: 1 }),
        ),
        layers: fc.oneof(
          fc.array(fc.record({ digest: odd, size: fc.integer() }), { maxLength: 3 }),
          fc.jsonValue({ maxDepth: 1 }),
        ),
        subject: fc.record({ digest: odd, size: fc.integer() }),
        manifests: fc.jsonValue({ maxDepth: 2 }),
      },
      { requiredKeys: [] },
    )
    .map((v) => JSON.stringify(v)),
  fc.string({ unit: 'binary', maxLength: 300 }),
);

describe('berth-registry under fuzzed requests', () => {
  let dir: string;
  let registry: RegistryProcess;
  let target: { host: string; port: number };

  const send = (method: string, url: string, hdrs: Record<string, string>, payload?: string) =>
    new Promise<Reply>((resolve, reject) => {
      const req = request(
        {
          ...target,
          method,
          path: url,
          headers: {
            ...hdrs,
            ...(payload !== undefined ? { 'content-length': String(Buffer.byteLength(payload)) } : {}),
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
      req.setTimeout(30_000, () => req.destroy(new Error(`${method} ${url} hung for 30 s`)));
      req.on('error', reject);
      req.end(payload);
    });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-registry-fuzz-'));
    registry = await startRegistryProcess(bin('berth-registry'), ['--root', dir, '--auth', 'none']);
    const [host, port] = registry.address.split(':');
    target = { host: host!, port: Number(port) };
  });
  after(async () => {
    if (registry) await registry.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('every route with fuzzed names, references, digests, ranges and bodies: no 5xx, errors explained', async () => {
    // A real upload id, so the upload routes are reached beyond their id check.
    const started = await send('POST', '/v2/fuzz/app/blobs/uploads/', {});
    assert.equal(started.status, 202, started.body);
    await assertProperty(
      fc.asyncProperty(
        fc.constantFrom(...ROUTES),
        path,
        odd,
        query,
        headers,
        body,
        fc.boolean(),
        async ([method, template], name, ref, q, hdrs, payload, realName) => {
          const repo = realName ? 'fuzz/app' : name;
          const url =
            template
              .replace('{name}', repo)
              .replace('{ref}', encodeURIComponent(ref))
              .replace('{digest}', encodeURIComponent(ref)) + (q ? `?${q}` : '');
          const what = `${method} ${url} ${JSON.stringify(hdrs)} ${payload?.slice(0, 200) ?? ''}`;
          const reply = await send(
            method,
            url,
            hdrs,
            method === 'GET' || method === 'HEAD' ? undefined : payload,
          );
          assert.ok(reply.status < 500, `${what} → ${reply.status} ${reply.body.slice(0, 300)}`);
          if (reply.status >= 400 && method !== 'HEAD') {
            const parsed = JSON.parse(reply.body) as { errors?: { code?: string; message?: string }[] };
            assert.ok(parsed.errors?.[0]?.code, `${what}: no error code in ${reply.body}`);
          }
        },
      ),
      300,
    );
    const health = await send('GET', '/v2/', {});
    assert.equal(health.status, 200);
    assert.equal(registry.child.exitCode, null);
  });
});
