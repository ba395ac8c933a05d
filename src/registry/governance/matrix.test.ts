import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { sha256Of } from '../../core/digest.js';
import { silentLogger } from '../../core/logger.js';
import { repoRoot } from '../../testing/paths.js';
import { buildConfig } from '../config.js';
import { type RunningRegistry, startRegistryServer } from '../server.js';
import { imageManifest } from '../testing/harness.js';
import { PROJECT_ACTIONS, type ProjectAction, SUBJECTS, type Subject } from './permissions.js';

/** The matrix as docs/registry-permissions.md states it: action → subject → allowed. */
async function documentedMatrix(): Promise<Map<string, Map<string, boolean>>> {
  const doc = await readFile(join(repoRoot, 'docs', 'registry-permissions.md'), 'utf8');
  const lines = doc.split('\n').filter((line) => line.startsWith('| '));
  const header = lines.findIndex((line) => line.startsWith('| action | system admin'));
  assert.ok(header >= 0, 'the matrix table is missing from docs/registry-permissions.md');
  const cells = (line: string) =>
    line
      .split('|')
      .slice(1, -1)
      .map((cell) => cell.trim());
  const subjects = cells(lines[header]!).slice(1);
  const matrix = new Map<string, Map<string, boolean>>();
  for (const line of lines.slice(header + 2)) {
    const [action, ...values] = cells(line);
    if (!action || values.some((v) => v !== 'yes' && v !== 'no')) break;
    matrix.set(action, new Map(subjects.map((s, i) => [s, values[i] === 'yes'])));
  }
  return matrix;
}

const ADMIN_PASSWORD = 'Matrix-admin-1';
const PASSWORD = 'Matrix-user-1';
const MEMBERS: Record<string, string> = {
  'project admin': 'padmin',
  maintainer: 'maint',
  developer: 'dev',
  guest: 'guest',
  'limited guest': 'lguest',
};

/** Who acts for a column, and in which project. */
function actorOf(subject: Subject): { user?: string; password?: string; project: string } {
  const project = subject.endsWith(', public') ? 'pub' : 'priv';
  if (subject === 'system admin') return { user: 'admin', password: ADMIN_PASSWORD, project };
  if (subject.startsWith('anonymous')) return { project };
  if (subject.startsWith('non-member')) return { user: 'outsider', password: PASSWORD, project };
  return { user: MEMBERS[subject]!, password: PASSWORD, project };
}

describe('the permission matrix of docs/registry-permissions.md', () => {
  let server: RunningRegistry;
  let app: FastifyInstance;
  let root: string;
  const saved = process.env['BERTH_REGISTRY_ADMIN_PASSWORD'];

  const basic = (user?: string, password?: string) =>
    user ? { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` } : {};
  const api = async (
    method: string,
    url: string,
    who: { user?: string; password?: string },
    payload?: unknown,
  ) =>
    app.inject({
      method: method as 'GET',
      url,
      headers: {
        ...basic(who.user, who.password),
        ...(payload ? { 'content-type': 'application/json' } : {}),
      },
      ...(payload ? { payload: JSON.stringify(payload) } : {}),
    });
  const bearer = async (who: { user?: string; password?: string }, scope: string) => {
    const response = await app.inject({
      method: 'GET',
      url: `/token?service=berth-registry&scope=${encodeURIComponent(scope)}`,
      headers: basic(who.user, who.password),
    });
    assert.equal(response.statusCode, 200, response.body);
    return { authorization: `Bearer ${(response.json() as { token: string }).token}` };
  };
  const admin = { user: 'admin', password: ADMIN_PASSWORD };
  const ok = async (response: Promise<{ statusCode: number; body: string }>) => {
    const r = await response;
    assert.ok(r.statusCode < 300, `${r.statusCode} ${r.body}`);
  };

  /** Pushes `PROJECT/app:1` as admin (fresh content per call) and returns the manifest digest. */
  let seed = 0;
  const pushFixture = async (project: string) => {
    const name = `${project}/app`;
    const auth = await bearer(admin, `repository:${name}:pull,push`);
    const pushBlob = async (content: string) => {
      const digest = sha256Of(content);
      const response = await app.inject({
        method: 'POST',
        url: `/v2/${name}/blobs/uploads/?digest=${digest}`,
        headers: { ...auth, 'content-type': 'application/octet-stream' },
        payload: Buffer.from(content),
      });
      assert.equal(response.statusCode, 201, response.body);
      return { digest, size: Buffer.byteLength(content) };
    };
    seed++;
    const manifest = imageManifest(await pushBlob(`{"seed":${seed}}`), [await pushBlob(`layer ${seed}`)]);
    const response = await app.inject({
      method: 'PUT',
      url: `/v2/${name}/manifests/1`,
      headers: { ...auth, 'content-type': 'application/vnd.oci.image.manifest.v1+json' },
      payload: manifest,
    });
    assert.equal(response.statusCode, 201, response.body);
    return sha256Of(manifest);
  };

  /** The outcome of one request: allowed (2xx) or refused (401/403/404); anything else fails the test. */
  const outcome = (what: string, response: { statusCode: number; body: string }): boolean => {
    if (response.statusCode < 300) return true;
    assert.ok(
      [401, 403, 404].includes(response.statusCode),
      `${what}: ${response.statusCode} ${response.body}`,
    );
    return false;
  };

  let robots = 0;
  /** Tries one action as one subject; every way the action can be reached must agree. */
  const attempt = async (subject: Subject, action: ProjectAction): Promise<boolean[]> => {
    const who = actorOf(subject);
    const { project } = who;
    const digest = await pushFixture(project);
    const base = `/api/v2.0/projects/${project}`;
    const artifact = `${base}/repositories/app/artifacts`;
    const registryRequest = async (method: string, path: string, actions: string, payload?: string) => {
      const auth = await bearer(who, `repository:${project}/app:${actions}`);
      return app.inject({
        method: method as 'GET',
        url: `/v2/${project}/app/${path}`,
        headers: { ...auth, ...(payload ? { 'content-type': 'application/octet-stream' } : {}) },
        ...(payload ? { payload } : {}),
      });
    };
    switch (action) {
      case 'pull':
        return [
          outcome('registry pull', await registryRequest('GET', 'manifests/1', 'pull')),
          outcome('api artifacts', await api('GET', `${artifact}`, who)),
        ];
      case 'push': {
        const content = `pushed by ${subject}`;
        return [
          outcome(
            'registry push',
            await registryRequest('POST', `blobs/uploads/?digest=${sha256Of(content)}`, 'pull,push', content),
          ),
        ];
      }
      case 'delete artifact': {
        const viaApi = outcome('api delete artifact', await api('DELETE', `${artifact}/${digest}`, who));
        await pushFixture(project);
        const viaRegistry = outcome(
          'registry delete manifest',
          await registryRequest('DELETE', `manifests/${await currentDigest(project)}`, 'delete'),
        );
        return [viaApi, viaRegistry];
      }
      case 'delete repository':
        return [outcome('api delete repository', await api('DELETE', `${base}/repositories/app`, who))];
      case 'manage tags': {
        const add = outcome('api add tag', await api('POST', `${artifact}/1/tags`, who, { name: 'extra' }));
        await ok(api('POST', `${artifact}/1/tags`, admin, { name: 'extra' }));
        const remove = outcome('api remove tag', await api('DELETE', `${artifact}/1/tags/extra`, who));
        const registryRemove = outcome(
          'registry delete tag',
          await registryRequest('DELETE', 'manifests/1', 'delete'),
        );
        return [add, remove, registryRemove];
      }
      case 'manage members':
        return [
          outcome(
            'api add member',
            await api('POST', `${base}/members`, who, { username: 'spare', role: 'guest' }),
          ),
          outcome('api change member', await api('PUT', `${base}/members/spare`, who, { role: 'developer' })),
        ];
      case 'manage robots':
        robots++;
        return [
          outcome(
            'api create robot',
            await api('POST', `${base}/robots`, who, {
              name: `r${robots}`,
              permissions: [{ actions: ['pull'] }],
            }),
          ),
          outcome('api list robots', await api('GET', `${base}/robots`, who)),
        ];
      case 'read audit log':
        return [outcome('api project logs', await api('GET', `${base}/logs`, who))];
      case 'change settings':
        return [outcome('api update project', await api('PUT', base, who, { public: project === 'pub' }))];
      case 'set quota':
        return [outcome('api set quota', await api('PUT', `${base}/quota`, who, { storage_limit: -1 }))];
    }
  };
  const currentDigest = async (project: string) => {
    const auth = await bearer(admin, `repository:${project}/app:pull`);
    const response = await app.inject({
      method: 'HEAD',
      url: `/v2/${project}/app/manifests/1`,
      headers: { ...auth, accept: 'application/vnd.oci.image.manifest.v1+json' },
    });
    return String(response.headers['docker-content-digest']);
  };

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'berth-registry-matrix-'));
    process.env['BERTH_REGISTRY_ADMIN_PASSWORD'] = ADMIN_PASSWORD;
    const config = buildConfig(
      { auth: { mode: 'token' }, gc: { interval: 0 } },
      { addr: '127.0.0.1:0', root },
    );
    server = await startRegistryServer(config, silentLogger);
    app = server.app;
    await ok(api('POST', '/api/v2.0/projects', admin, { project_name: 'priv', public: false }));
    await ok(api('POST', '/api/v2.0/projects', admin, { project_name: 'pub', public: true }));
    for (const user of [...Object.values(MEMBERS), 'outsider', 'spare']) {
      await ok(api('POST', '/api/v2.0/users', admin, { username: user, password: PASSWORD }));
    }
    for (const [role, user] of Object.entries(MEMBERS)) {
      await ok(api('POST', '/api/v2.0/projects/priv/members', admin, { username: user, role }));
    }
  });

  after(async () => {
    await server?.close();
    if (saved === undefined) delete process.env['BERTH_REGISTRY_ADMIN_PASSWORD'];
    else process.env['BERTH_REGISTRY_ADMIN_PASSWORD'] = saved;
    await rm(root, { recursive: true, force: true });
  });

  it('documents every action and every subject the code knows', async () => {
    const matrix = await documentedMatrix();
    assert.deepEqual([...matrix.keys()], [...PROJECT_ACTIONS]);
    for (const row of matrix.values()) assert.deepEqual([...row.keys()], [...SUBJECTS]);
  });

  it('every cell behaves as documented, through the registry and the management API', async () => {
    const matrix = await documentedMatrix();
    const differences: string[] = [];
    for (const [action, row] of matrix) {
      for (const [subject, documented] of row) {
        const results = await attempt(subject as Subject, action as ProjectAction);
        results.forEach((allowed, index) => {
          if (allowed !== documented) {
            differences.push(
              `${subject} × ${action} (check ${index + 1}): documented ${documented ? 'yes' : 'no'}, got ${allowed ? 'allowed' : 'refused'}`,
            );
          }
        });
      }
    }
    assert.deepEqual(differences, []);
  });
});
