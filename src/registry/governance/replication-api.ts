import type { FastifyInstance, FastifyRequest } from 'fastify';
import { invalidArgument } from '../../core/errors.js';
import type { ProjectAction } from './permissions.js';
import { executionView, policyView, type Replication } from './replication.js';
import type { Project } from './store.js';

/** What an API extension gets from the management API: its caller checks and audit. */
export interface ApiHelpers {
  requireAdmin(request: FastifyRequest, operation?: string, resource?: string): void;
  audit(
    request: FastifyRequest,
    operation: string,
    project: string | undefined,
    resource: string,
    result?: 'success' | 'failure',
    detail?: string,
  ): void;
  /** Refuses (and audits) unless the caller may do `action` in `project`. */
  require(
    request: FastifyRequest,
    project: Project,
    action: ProjectAction,
    operation?: string,
  ): Promise<void>;
  /** The `:project` of the route, when the caller may see it (404 otherwise). */
  projectParam(request: FastifyRequest): Promise<Project>;
}

const idOf = (value: unknown, field = 'id') => {
  const id = Number(value);
  if (!Number.isSafeInteger(id) || id <= 0) throw invalidArgument(`${field}: a positive integer`);
  return id;
};

/**
 * Replication under `/api/v2.0/replication` (system admins only, as in
 * Harbor): policies, executions with per-artifact tasks, retry.
 */
export function replicationRoutes(replication: Replication) {
  return (app: FastifyInstance, { requireAdmin, audit }: ApiHelpers) => {
    const admin = (request: FastifyRequest, operation?: string) =>
      requireAdmin(request, operation, 'replication');
    app.get('/api/v2.0/replication/policies', async (request) => {
      admin(request);
      return (await replication.policies()).map(policyView);
    });
    app.post('/api/v2.0/replication/policies', async (request, reply) => {
      admin(request, 'create_replication_policy');
      const created = await replication.createPolicy(request.body);
      audit(
        request,
        'create_replication_policy',
        created.project,
        created.name,
        'success',
        created.remote.url,
      );
      return reply.code(201).send(policyView(created));
    });
    app.get<{ Params: { id: string } }>('/api/v2.0/replication/policies/:id', async (request) => {
      admin(request);
      return policyView(await replication.policy(idOf(request.params.id)));
    });
    app.put<{ Params: { id: string } }>('/api/v2.0/replication/policies/:id', async (request) => {
      admin(request, 'update_replication_policy');
      const updated = await replication.updatePolicy(idOf(request.params.id), request.body);
      audit(request, 'update_replication_policy', updated.project, updated.name);
      return policyView(updated);
    });
    app.delete<{ Params: { id: string } }>('/api/v2.0/replication/policies/:id', async (request) => {
      admin(request, 'delete_replication_policy');
      const id = idOf(request.params.id);
      const existing = await replication.policy(id);
      await replication.deletePolicy(id);
      audit(request, 'delete_replication_policy', existing.project, existing.name);
      return {};
    });
    app.post('/api/v2.0/replication/executions', async (request, reply) => {
      admin(request, 'run_replication');
      const body = (request.body ?? {}) as Record<string, unknown>;
      const started = await replication.start(idOf(body['policy_id'], 'policy_id'), 'manual');
      const policy = await replication.policy(started.policyId);
      audit(request, 'run_replication', policy.project, policy.name, 'success', `execution ${started.id}`);
      return reply
        .code(201)
        .header('location', `/api/v2.0/replication/executions/${started.id}`)
        .send(executionView(started));
    });
    app.get('/api/v2.0/replication/executions', async (request) => {
      admin(request);
      const query = request.query as { policy_id?: string };
      const executions = await replication.executions(
        query.policy_id ? idOf(query.policy_id, 'policy_id') : undefined,
      );
      return executions.map(executionView);
    });
    app.get<{ Params: { id: string } }>('/api/v2.0/replication/executions/:id', async (request) => {
      admin(request);
      return executionView(await replication.execution(idOf(request.params.id)));
    });
    app.get<{ Params: { id: string } }>('/api/v2.0/replication/executions/:id/tasks', async (request) => {
      admin(request);
      const id = idOf(request.params.id);
      await replication.execution(id);
      return (await replication.tasks(id)).map((t) => ({
        id: t.id,
        execution_id: t.executionId,
        source: t.source,
        destination: t.destination,
        tag: t.tag,
        digest: t.digest,
        status: t.status,
        detail: t.detail,
      }));
    });
    app.post<{ Params: { id: string } }>(
      '/api/v2.0/replication/executions/:id/retry',
      async (request, reply) => {
        admin(request, 'run_replication');
        const started = await replication.retry(idOf(request.params.id));
        const policy = await replication.policy(started.policyId);
        audit(
          request,
          'run_replication',
          policy.project,
          policy.name,
          'success',
          `retry: execution ${started.id}`,
        );
        return reply.code(201).send(executionView(started));
      },
    );
  };
}
