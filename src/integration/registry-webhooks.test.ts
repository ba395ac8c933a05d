import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { SIGNATURE_HEADER, signatureOf } from '../registry/governance/webhooks.js';
import type { RegistryProcess } from '../registry/testing/process.js';
import {
  adminApi,
  type Json,
  pushBusybox,
  skopeo,
  skopeoBinary,
  startGovernedRegistry,
} from '../testing/governed-registry.js';
import { fixturesMissing } from '../testing/paths.js';

const ADMIN_PASSWORD = 'Webhook-admin-1';
const SECRET = 'a-shared-secret-of-enough-length';

describe('berth-registry webhooks', { skip: fixturesMissing || (skopeoBinary ? false : 'no skopeo') }, () => {
  let dir: string;
  let server: RegistryProcess;
  let receiver: Server;
  let receiverUrl: string;
  /** What the receiver accepted: event type and whether the signature verified. */
  const received: { event: string; verified: boolean; body: Json }[] = [];
  let refuseNext = 1;

  const admin = adminApi<Json & Json[]>(() => server.address, ADMIN_PASSWORD);
  const waitFor = async (event: string) => {
    for (let i = 0; i < 200; i++) {
      if (received.some((r) => r.event === event)) return;
      await sleep(100);
    }
    throw new Error(`no ${event} delivery; got ${received.map((r) => r.event).join(', ')}`);
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-registry-webhooks-'));
    // The tiny receiver: verifies the HMAC; refuses the first delivery to exercise the retry.
    receiver = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      request.on('end', () => {
        if (refuseNext > 0) {
          refuseNext--;
          response.writeHead(503).end();
          return;
        }
        const verified = request.headers[SIGNATURE_HEADER] === signatureOf(SECRET, body);
        received.push({
          event: String(request.headers['x-berth-event']),
          verified,
          body: JSON.parse(body) as Json,
        });
        response.writeHead(verified ? 204 : 401).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const address = receiver.address();
    receiverUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/hook`;
    server = await startGovernedRegistry(join(dir, 'root'), ADMIN_PASSWORD);
    assert.equal((await admin('POST', '/api/v2.0/projects', { project_name: 'team' })).status, 201);
  });
  after(async () => {
    await server?.stop();
    await new Promise((resolve) => receiver?.close(resolve));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('refuses a policy with an unknown event, naming the field', async () => {
    const response = await admin('POST', '/api/v2.0/projects/team/webhook/policies', {
      name: 'bad',
      url: receiverUrl,
      events: ['PUSH_ARTIFACT', 'EXPLODE'],
    });
    assert.equal(response.status, 400);
    assert.match(JSON.stringify(response.body), /events/);
  });

  it('delivers signed push, pull, delete, quota and replication events, logs them and retries', async () => {
    const created = await admin('POST', '/api/v2.0/projects/team/webhook/policies', {
      name: 'receiver',
      url: receiverUrl,
      secret: SECRET,
      events: ['PUSH_ARTIFACT', 'PULL_ARTIFACT', 'DELETE_ARTIFACT', 'QUOTA_EXCEED', 'REPLICATION'],
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body['secret'], SECRET);
    const id = created.body['id'] as number;
    const shown = await admin('GET', `/api/v2.0/projects/team/webhook/policies/${id}`);
    assert.equal(shown.body['secret'], undefined);

    const creds = `admin:${ADMIN_PASSWORD}`;
    assert.equal((await admin('PUT', '/api/v2.0/projects/team/quota', { storage_limit: 1000 })).status, 200);
    const refused = await pushBusybox(`docker://${server.address}/team/big:1`, creds);
    assert.notEqual(refused.code, 0, refused.stderr + refused.stdout);
    await waitFor('QUOTA_EXCEED');
    assert.equal((await admin('PUT', '/api/v2.0/projects/team/quota', { storage_limit: -1 })).status, 200);
    const push = await pushBusybox(`docker://${server.address}/team/app:1`, creds);
    assert.equal(push.code, 0, push.stderr);
    await waitFor('PUSH_ARTIFACT');
    const pull = await skopeo([
      'inspect',
      '--tls-verify=false',
      '--creds',
      creds,
      `docker://${server.address}/team/app:1`,
    ]);
    assert.equal(pull.code, 0, pull.stderr);
    await waitFor('PULL_ARTIFACT');
    const del = await admin('DELETE', '/api/v2.0/projects/team/repositories/app/artifacts/1/tags/1');
    assert.equal(del.status, 200, JSON.stringify(del.body));
    await waitFor('DELETE_ARTIFACT');
    const rule = await admin('POST', '/api/v2.0/replication/policies', {
      name: 'nowhere',
      direction: 'push',
      project: 'team',
      remote: { url: 'http://127.0.0.1:1' },
    });
    assert.equal(rule.status, 201, JSON.stringify(rule.body));
    await admin('POST', '/api/v2.0/replication/executions', { policy_id: rule.body['id'] });
    await waitFor('REPLICATION');

    assert.ok(
      received.every((r) => r.verified),
      'every signature verifies',
    );
    const push1 = received.find((r) => r.event === 'PUSH_ARTIFACT')!;
    assert.equal(received.filter((r) => r.event === 'QUOTA_EXCEED').length > 0, true);
    assert.equal((push1.body['event_data'] as Json)['resource'], 'team/app:1');
    assert.equal(push1.body['operator'], 'admin');

    // The receiver records a delivery before replying: the registry marks it delivered after.
    const deliveries = async () =>
      (await admin('GET', `/api/v2.0/projects/team/webhook/policies/${id}/deliveries`)).body;
    let log = await deliveries();
    const pending = () => log.some((d) => d['status'] !== 'delivered');
    for (const end = Date.now() + 15_000; pending() && Date.now() < end; ) {
      await sleep(100);
      log = await deliveries();
    }
    const first = log[log.length - 1]!;
    assert.equal(first['status'], 'delivered');
    assert.equal(first['attempts'], 2, 'the refused first attempt was retried');
    assert.ok(
      log.every((d) => d['status'] === 'delivered'),
      JSON.stringify(log),
    );
  });
});
