import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type DistributionProcess, startDistribution } from '../registry/testing/distribution.js';
import type { RegistryProcess } from '../registry/testing/process.js';
import { dockerdBinary, type PeerDockerd, startPeerDockerd } from '../testing/dockerd.js';
import {
  adminApi,
  finishedExecution,
  type Json,
  pushBusybox,
  skopeo,
  skopeoAndDistributionSkipReason,
  startGovernedRegistry,
} from '../testing/governed-registry.js';
import { dockerCli, fixturesMissing } from '../testing/paths.js';
import { runCommand } from '../testing/run.js';

const ADMIN_PASSWORD = 'Replication-admin-1';
const missing = fixturesMissing || skopeoAndDistributionSkipReason('to replicate to');

describe('berth-registry replication (to and from CNCF Distribution)', { skip: missing }, () => {
  let dir: string;
  let remote: DistributionProcess;
  let server: RegistryProcess;
  let peer: PeerDockerd | undefined;

  const admin = adminApi<Json & Json[]>(() => server.address, ADMIN_PASSWORD);
  const finished = (id: number) => finishedExecution(admin, id);

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-registry-replication-'));
    remote = await startDistribution();
    server = await startGovernedRegistry(join(dir, 'root'), ADMIN_PASSWORD);
    assert.equal((await admin('POST', '/api/v2.0/projects', { project_name: 'team' })).status, 201);
    for (const tag of ['1', '2', 'dev']) {
      const push = await pushBusybox(`docker://${server.address}/team/app:${tag}`, `admin:${ADMIN_PASSWORD}`);
      assert.equal(push.code, 0, push.stderr);
    }
  });
  after(async () => {
    await peer?.stop();
    await server?.stop();
    await remote?.remove();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('names the field of a bad policy', async () => {
    const response = await admin('POST', '/api/v2.0/replication/policies', {
      name: 'bad',
      direction: 'sideways',
      project: 'team',
      remote: { url: `http://${remote.address}` },
    });
    assert.equal(response.status, 400);
    assert.match(JSON.stringify(response.body), /direction/);
  });

  it('pushes a project by tag pattern, records per-artifact results, and retries failures', async () => {
    const created = await admin('POST', '/api/v2.0/replication/policies', {
      name: 'to-distribution',
      direction: 'push',
      project: 'team',
      remote: { url: `http://${remote.address}` },
      tags: ['?'],
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const policyId = created.body['id'] as number;

    await remote.stop();
    const failedRun = await admin('POST', '/api/v2.0/replication/executions', { policy_id: policyId });
    assert.equal(failedRun.status, 201);
    const failed = await finished(failedRun.body['id'] as number);
    assert.equal(failed['status'], 'failed');
    assert.equal(failed['failed'], 2, JSON.stringify(failed));

    await remote.restart();
    const retry = await admin('POST', `/api/v2.0/replication/executions/${failedRun.body['id']}/retry`);
    assert.equal(retry.status, 201);
    const retried = await finished(retry.body['id'] as number);
    assert.equal(retried['status'], 'succeeded', JSON.stringify(retried));
    const tasks = (await admin('GET', `/api/v2.0/replication/executions/${retry.body['id']}/tasks`)).body;
    assert.deepEqual(tasks.map((t) => [t['destination'], t['tag'], t['status']]).sort(), [
      ['team/app', '1', 'succeeded'],
      ['team/app', '2', 'succeeded'],
    ]);
    const remoteTags = (await (await fetch(`http://${remote.address}/v2/team/app/tags/list`)).json()) as {
      tags: string[];
    };
    assert.deepEqual(remoteTags.tags.sort(), ['1', '2']);
  });

  it('pulls from the remote into a project', async () => {
    assert.equal((await admin('POST', '/api/v2.0/projects', { project_name: 'copy' })).status, 201);
    const created = await admin('POST', '/api/v2.0/replication/policies', {
      name: 'from-distribution',
      direction: 'pull',
      project: 'copy',
      remote: { url: `http://${remote.address}` },
      remote_namespace: 'team',
      repositories: ['app'],
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const run = await admin('POST', '/api/v2.0/replication/executions', { policy_id: created.body['id'] });
    const done = await finished(run.body['id'] as number);
    assert.equal(
      done['status'],
      'succeeded',
      JSON.stringify((await admin('GET', `/api/v2.0/replication/executions/${run.body['id']}/tasks`)).body),
    );
    const inspect = await skopeo([
      'inspect',
      '--tls-verify=false',
      '--creds',
      `admin:${ADMIN_PASSWORD}`,
      `docker://${server.address}/copy/app:2`,
    ]);
    assert.equal(inspect.code, 0, inspect.stderr);
  });

  it('replicates on push when the rule is event-based', async () => {
    const created = await admin('POST', '/api/v2.0/replication/policies', {
      name: 'on-push',
      direction: 'push',
      project: 'team',
      remote: { url: `http://${remote.address}` },
      remote_namespace: 'events',
      trigger: 'event_based',
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const push = await pushBusybox(`docker://${server.address}/team/app:3`, `admin:${ADMIN_PASSWORD}`);
    assert.equal(push.code, 0, push.stderr);
    let executions: Json[] = [];
    for (let i = 0; i < 100 && executions[0]?.['status'] !== 'succeeded'; i++) {
      executions = (await admin('GET', `/api/v2.0/replication/executions?policy_id=${created.body['id']}`))
        .body;
      await sleep(100);
    }
    assert.equal(executions[0]?.['trigger'], 'event_based');
    assert.equal(executions[0]?.['status'], 'succeeded', JSON.stringify(executions));
    const tags = (await (await fetch(`http://${remote.address}/v2/events/app/tags/list`)).json()) as {
      tags: string[];
    };
    assert.deepEqual(tags.tags, ['3']);
  });

  it('the replicated image runs from the second registry (dockerd)', {
    skip: !dockerdBinary() || !dockerCli() ? 'dockerd or the docker CLI is not installed' : false,
  }, async () => {
    peer = await startPeerDockerd();
    const docker = (args: string[]) =>
      runCommand(dockerCli()!, ['-H', peer!.host, ...args], {
        env: { ...process.env, DOCKER_CONFIG: join(dir, 'docker-config') },
        timeoutMs: 180_000,
      });
    const pull = await docker(['pull', `${remote.address}/team/app:1`]);
    assert.equal(pull.code, 0, pull.stderr);
    const run = await docker([
      'run',
      '--rm',
      '--network',
      'none',
      `${remote.address}/team/app:1`,
      'echo',
      'replicated',
    ]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout.trim(), 'replicated');
  });
});
