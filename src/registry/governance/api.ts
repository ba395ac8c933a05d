import { randomBytes } from 'node:crypto';
import type {
  FastifyError,
  FastifyInstance,
  FastifyPluginAsync,
  FastifyReply,
  FastifyRequest,
} from 'fastify';
import { BerthError, ErrorKind, invalidArgument, kindOf } from '../../core/errors.js';
import { parseBasic, verifyLogin } from '../auth/authenticator.js';
import type { LoginLimiter } from '../auth/login-limiter.js';
import { parseReference, parseRegistryDigest } from '../names.js';
import type { Registry } from '../service/registry.js';
import {
  AUDIT_RETENTION_DAYS,
  checkPasswordPolicy,
  checkProjectName,
  checkUsername,
  type Governance,
  type Principal,
  ROBOT_NAME,
  ROBOT_PREFIX,
} from './governance.js';
import { openApiDocument } from './openapi.js';
import { isMemberRole, isProjectAction, type ProjectAction, ROBOT_ACTIONS } from './permissions.js';
import type { ProxyCacheSettings } from './proxy.js';
import { checkEndpoint } from './remote.js';
import type { ApiHelpers } from './replication-api.js';
import { type DeleteTag, runRetention } from './retention.js';
import { checkPatterns, checkRetention, matchesAny } from './rules.js';
import type { Project } from './store.js';

/** What the management API is built from. */
export interface ManagementApiDeps {
  governance: Governance;
  registry: Registry;
  limiter: LoginLimiter;
  realm: string;
  /** More routes (replication, webhooks), behind the same login and error handling. */
  extensions?: readonly ((app: FastifyInstance, helpers: ApiHelpers) => void)[];
}

/** An API failure: HTTP status, Harbor-style code and a message naming the field and why. */
class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const STATUS_OF: Partial<Record<ErrorKind, [number, string]>> = {
  [ErrorKind.InvalidArgument]: [400, 'BAD_REQUEST'],
  [ErrorKind.NotFound]: [404, 'NOT_FOUND'],
  [ErrorKind.AlreadyExists]: [409, 'CONFLICT'],
  [ErrorKind.Conflict]: [409, 'CONFLICT'],
  [ErrorKind.FailedPrecondition]: [412, 'PRECONDITION'],
  [ErrorKind.PermissionDenied]: [403, 'FORBIDDEN'],
  [ErrorKind.Unauthenticated]: [401, 'UNAUTHORIZED'],
};

type Body = Record<string, unknown>;

declare module 'fastify' {
  interface FastifyRequest {
    /** The management API's caller (set by its onRequest hook). */
    principal: Principal;
  }
}

/**
 * The management REST API under `/api/v2.0` (Harbor's layout), described by
 * `/api/openapi.json`. Basic credentials of users and robot accounts; every
 * decision goes through `governance.may`, the permission matrix.
 */
export function managementApi(deps: ManagementApiDeps): FastifyPluginAsync {
  const { governance: gov, registry } = deps;
  const { store } = gov;
  const deleteTag: DeleteTag = (repository, tag) => registry.repository(repository).manifests.delete({ tag });

  return async (app) => {
    app.decorateRequest('principal', null as never);
    app.addHook('onRequest', async (request) => {
      request.principal = { kind: 'anonymous' };
      const login = parseBasic(request.headers.authorization);
      if (!login) return;
      try {
        await verifyLogin(gov.users, deps.limiter, login, request.ip);
      } catch (err) {
        throw err instanceof BerthError
          ? err
          : new ApiError(401, 'UNAUTHORIZED', 'invalid username or password');
      }
      request.principal = await gov.principal(login.user);
    });
    app.setErrorHandler((err: FastifyError, request, reply) => {
      let status = err instanceof ApiError ? err.status : (err.statusCode ?? 500);
      let code = err instanceof ApiError ? err.code : 'INTERNAL_SERVER_ERROR';
      const mapped = err instanceof BerthError ? STATUS_OF[kindOf(err)] : undefined;
      if (mapped) [status, code] = mapped;
      const registryCode = (err as { code?: unknown }).code;
      if (registryCode === 'UNAUTHORIZED') [status, code] = [401, 'UNAUTHORIZED'];
      if (registryCode === 'TOOMANYREQUESTS') [status, code] = [429, 'TOO_MANY_REQUESTS'];
      if (status < 500 && code === 'INTERNAL_SERVER_ERROR') code = 'BAD_REQUEST';
      if (status === 401) reply.header('www-authenticate', `Basic realm="${deps.realm}"`);
      if (status >= 500) request.log.error(err);
      return reply
        .code(status)
        .type('application/json')
        .send({ errors: [{ code, message: status >= 500 ? 'internal error' : err.message }] });
    });

    const audit = (
      request: FastifyRequest,
      operation: string,
      project: string | undefined,
      resource: string,
      result: 'success' | 'failure' = 'success',
      detail?: string,
    ) =>
      gov.record({
        principal: request.principal,
        remoteAddress: request.ip,
        operation,
        project,
        resource,
        result,
        ...(detail ? { detail } : {}),
      });

    /** Refuses (and audits the refusal) unless the caller may do `action` in `project`. */
    const require = async (
      request: FastifyRequest,
      project: Project,
      action: ProjectAction,
      operation?: string,
    ) => {
      if (await gov.may(request.principal, project, action)) return;
      if (operation)
        audit(request, operation, project.name, project.name, 'failure', `not allowed to ${action}`);
      deny(request.principal, `${action} in project ${project.name}`);
    };
    const requireAdmin = (request: FastifyRequest, operation?: string, resource = '') => {
      if (gov.isSysadmin(request.principal)) return;
      if (operation) audit(request, operation, undefined, resource, 'failure', 'system admin only');
      deny(request.principal, 'this needs a system admin');
    };
    /** The project, or 404 — also for a private project the caller cannot see, so names do not leak. */
    const projectParam = async (request: FastifyRequest): Promise<Project> => {
      const name = (request.params as { project: string }).project;
      const project = await store.project(name);
      if (!project || !(await gov.may(request.principal, project, 'pull'))) {
        // Anonymous callers are asked to log in whether or not the project exists: no enumeration.
        if (request.principal.kind === 'anonymous') deny(request.principal, '');
        throw new ApiError(404, 'NOT_FOUND', `project ${name} not found`);
      }
      return project;
    };
    for (const extend of deps.extensions ?? []) extend(app, { requireAdmin, audit, require, projectParam });
    const repoParam = async (request: FastifyRequest, project: Project): Promise<string> => {
      const raw = (request.params as { repository: string }).repository;
      let repo: string;
      try {
        // Harbor clients send `a/b` as `a%252Fb`; the router has decoded once.
        repo = decodeURIComponent(raw);
      } catch {
        repo = raw;
      }
      const name = `${project.name}/${repo}`;
      if (!(await store.repositories(project.name)).some((r) => r.name === name))
        throw new ApiError(404, 'NOT_FOUND', `repository ${name} not found`);
      return name;
    };
    const body = (request: FastifyRequest): Body => {
      const value = request.body;
      if (typeof value !== 'object' || value === null || Array.isArray(value))
        throw invalidArgument('the request body must be a JSON object');
      return value as Body;
    };
    const page = (request: FastifyRequest) => {
      const q = request.query as Record<string, string | undefined>;
      const size = Math.min(Math.max(Number(q['page_size'] ?? 50) || 50, 1), 500);
      const number = Math.max(Number(q['page'] ?? 1) || 1, 1);
      return { limit: size, offset: (number - 1) * size };
    };

    app.get('/api/openapi.json', async () => openApiDocument());

    // Users
    app.get('/api/v2.0/users/current', async (request) => {
      const who = request.principal;
      if (who.kind === 'anonymous') deny(who, '');
      if (who.kind === 'robot') return { username: who.robot.name, robot: true };
      return {
        ...userView(who.kind === 'user' ? who.user : undefined),
        projects: await store.projectsOf(gov.nameOf(who) ?? ''),
      };
    });
    app.get('/api/v2.0/users', async (request) => {
      requireAdmin(request);
      return (await store.users()).map(userView);
    });
    app.post('/api/v2.0/users', async (request, reply) => {
      requireAdmin(request, 'create_user');
      const input = body(request);
      const username = checkUsername(input['username']);
      const password = checkPasswordPolicy(input['password']);
      if (await store.user(username)) throw new ApiError(409, 'CONFLICT', `user ${username} already exists`);
      await store.createUser(username, await gov.hash(password), input['sysadmin'] === true, gov.now());
      audit(request, 'create_user', undefined, username);
      return reply
        .code(201)
        .header('location', `/api/v2.0/users/${username}`)
        .send(userView(await store.user(username)));
    });
    app.put<{ Params: { username: string } }>('/api/v2.0/users/:username/password', async (request) => {
      const target = await userParam(request.params.username);
      const who = request.principal;
      const self = who.kind === 'user' && who.user.name === target.name;
      if (!self) requireAdmin(request, 'change_password', target.name);
      const input = body(request);
      if (self && !gov.isSysadmin(who)) {
        const old = input['oldPassword'];
        if (typeof old !== 'string' || !(await gov.users.verify(target.name, old, request.ip)))
          throw new ApiError(403, 'FORBIDDEN', 'oldPassword: does not match the current password');
      }
      const password = checkPasswordPolicy(input['newPassword'], 'newPassword');
      await store.setPassword(target.name, await gov.hash(password), gov.now());
      audit(request, 'change_password', undefined, target.name);
      return {};
    });
    app.put<{ Params: { username: string } }>('/api/v2.0/users/:username/sysadmin', async (request) => {
      requireAdmin(request, 'update_user', request.params.username);
      const target = await userParam(request.params.username);
      const flag = body(request)['sysadmin'];
      if (typeof flag !== 'boolean') throw invalidArgument('sysadmin: must be true or false');
      if (!flag && request.principal.kind === 'user' && request.principal.user.name === target.name)
        throw new ApiError(400, 'BAD_REQUEST', 'sysadmin: you cannot revoke your own system admin role');
      await store.setSysadmin(target.name, flag);
      audit(request, 'update_user', undefined, target.name, 'success', `sysadmin=${flag}`);
      return userView(await store.user(target.name));
    });
    app.delete<{ Params: { username: string } }>('/api/v2.0/users/:username', async (request) => {
      requireAdmin(request, 'delete_user', request.params.username);
      const target = await userParam(request.params.username);
      if (request.principal.kind === 'user' && request.principal.user.name === target.name)
        throw new ApiError(400, 'BAD_REQUEST', 'username: you cannot delete yourself');
      await store.deleteUser(target.name);
      audit(request, 'delete_user', undefined, target.name);
      return {};
    });
    const userParam = async (name: string) => {
      const user = await store.user(name);
      if (!user) throw new ApiError(404, 'NOT_FOUND', `user ${name} not found`);
      return user;
    };

    // Projects
    app.get('/api/v2.0/projects', async (request) => {
      const visible: Project[] = [];
      for (const p of await store.projects())
        if (await gov.may(request.principal, p, 'pull')) visible.push(p);
      return Promise.all(visible.map(projectView));
    });
    app.post('/api/v2.0/projects', async (request, reply) => {
      requireAdmin(request, 'create_project');
      const input = body(request);
      const name = checkProjectName(input['project_name'] ?? input['name']);
      const isPublic = input['public'] ?? false;
      if (typeof isPublic !== 'boolean') throw invalidArgument('public: must be true or false');
      const limit = storageLimitOf(input['storage_limit'] ?? -1);
      if (await store.project(name)) throw new ApiError(409, 'CONFLICT', `project ${name} already exists`);
      const proxy = input['proxy_cache'] == null ? undefined : checkProxyCache(input['proxy_cache']);
      let project = await store.createProject(name, isPublic, limit, gov.now());
      if (proxy) {
        await store.updateProject(name, { settings: { proxyCache: proxy } });
        project = (await store.project(name))!;
      }
      audit(
        request,
        'create_project',
        name,
        name,
        'success',
        `public=${isPublic} storage_limit=${limit}${proxy ? ` proxy_cache=${proxy.url}` : ''}`,
      );
      return reply
        .code(201)
        .header('location', `/api/v2.0/projects/${name}`)
        .send(await projectView(project));
    });
    app.get('/api/v2.0/projects/:project', async (request) => projectView(await projectParam(request)));
    app.put('/api/v2.0/projects/:project', async (request) => {
      const project = await projectParam(request);
      await require(request, project, 'change settings', 'update_project');
      const input = body(request);
      const unknown = Object.keys(input).filter(
        (k) => !['public', 'immutable_tags', 'retention', 'proxy_cache'].includes(k),
      );
      if (unknown.length > 0) throw invalidArgument(`${unknown[0]}: unknown setting`);
      // An upstream makes the server connect where told: system admins only, as Harbor's registry endpoints.
      if (input['proxy_cache'] !== undefined && !gov.isSysadmin(request.principal))
        deny(request.principal, 'proxy_cache is a system admin setting');
      const isPublic = input['public'];
      if (isPublic !== undefined && typeof isPublic !== 'boolean')
        throw invalidArgument('public: must be true or false');
      const settings = { ...project.settings };
      if (input['immutable_tags'] !== undefined)
        settings.immutableTags = checkPatterns(input['immutable_tags'], 'immutable_tags');
      if (input['retention'] !== undefined) settings.retention = checkRetention(input['retention']);
      if (input['proxy_cache'] === null) delete settings.proxyCache;
      else if (input['proxy_cache'] !== undefined)
        settings.proxyCache = checkProxyCache(input['proxy_cache']);
      const logged = { ...input };
      if (logged['proxy_cache'])
        logged['proxy_cache'] = { ...(logged['proxy_cache'] as object), password: undefined };
      await store.updateProject(project.name, {
        ...(isPublic !== undefined ? { public: isPublic } : {}),
        settings,
      });
      audit(request, 'update_project', project.name, project.name, 'success', JSON.stringify(logged));
      return projectView((await store.project(project.name))!);
    });
    app.post('/api/v2.0/projects/:project/retention/run', async (request) => {
      const project = await projectParam(request);
      await require(request, project, 'change settings', 'retention_run');
      const dryRun = (request.query as { dry_run?: string }).dry_run === 'true';
      const report = await runRetention(gov, deleteTag, project, {
        dryRun,
        principal: request.principal,
        remoteAddress: request.ip,
      });
      return {
        dry_run: dryRun,
        deleted: report.deleted,
        kept: report.decisions.length - report.deleted,
        tags: report.decisions.map((d) => ({
          repository: d.repository,
          tag: d.tag,
          digest: d.digest,
          pushed_at: new Date(d.pushedAt).toISOString(),
          action: d.action,
          reason: d.reason,
        })),
      };
    });
    app.delete('/api/v2.0/projects/:project', async (request) => {
      const project = await projectParam(request);
      requireAdmin(request, 'delete_project', project.name);
      if ((await store.repositories(project.name)).length > 0)
        throw new ApiError(
          412,
          'PRECONDITION',
          `project ${project.name} still has repositories; delete them first`,
        );
      await store.deleteProject(project.name);
      audit(request, 'delete_project', project.name, project.name);
      return {};
    });

    // Quotas
    app.get('/api/v2.0/projects/:project/quota', async (request) => quotaView(await projectParam(request)));
    app.put('/api/v2.0/projects/:project/quota', async (request) => {
      const project = await projectParam(request);
      await require(request, project, 'set quota', 'set_quota');
      const limit = storageLimitOf(body(request)['storage_limit']);
      await store.updateProject(project.name, { storageLimit: limit });
      audit(request, 'set_quota', project.name, project.name, 'success', `storage_limit=${limit}`);
      return quotaView((await store.project(project.name))!);
    });
    app.get('/api/v2.0/quotas', async (request) => {
      requireAdmin(request);
      return Promise.all((await store.projects()).map(quotaView));
    });

    // Members
    app.get('/api/v2.0/projects/:project/members', async (request) => {
      const project = await projectParam(request);
      await require(request, project, 'read audit log');
      return await store.members(project.name);
    });
    const setMember = async (request: FastifyRequest, username: unknown, operation: string) => {
      const project = await projectParam(request);
      await require(request, project, 'manage members', operation);
      const name = checkUsername(username);
      const role = body(request)['role'];
      if (!isMemberRole(role))
        throw invalidArgument(
          'role: must be one of "project admin", "maintainer", "developer", "guest", "limited guest"',
        );
      await userParam(name);
      await store.setMember(project.name, name, role);
      audit(request, operation, project.name, name, 'success', `role=${role}`);
      return { username: name, role };
    };
    app.post('/api/v2.0/projects/:project/members', async (request, reply) =>
      reply.code(201).send(await setMember(request, body(request)['username'], 'add_member')),
    );
    app.put<{ Params: { project: string; username: string } }>(
      '/api/v2.0/projects/:project/members/:username',
      async (request) => setMember(request, request.params.username, 'update_member'),
    );
    app.delete<{ Params: { project: string; username: string } }>(
      '/api/v2.0/projects/:project/members/:username',
      async (request) => {
        const project = await projectParam(request);
        await require(request, project, 'manage members', 'remove_member');
        if (!(await store.removeMember(project.name, request.params.username)))
          throw new ApiError(
            404,
            'NOT_FOUND',
            `${request.params.username} is not a member of ${project.name}`,
          );
        audit(request, 'remove_member', project.name, request.params.username);
        return {};
      },
    );

    // Robots
    const robotInput = async (input: Body, project: Project | undefined) => {
      const projects = new Set((await store.projects()).map((p) => p.name));
      const name = input['name'];
      if (typeof name !== 'string' || !ROBOT_NAME.test(name))
        throw invalidArgument('name: 1 to 64 lower-case letters, digits, ".", "_" or "-"');
      const duration = input['duration'] ?? -1;
      if (typeof duration !== 'number' || !Number.isInteger(duration) || (duration < 1 && duration !== -1))
        throw invalidArgument('duration: days until the robot expires, a positive integer, or -1 for never');
      const raw = input['permissions'];
      if (!Array.isArray(raw) || raw.length === 0) throw invalidArgument('permissions: a non-empty list');
      const permissions = raw.flatMap((entry: unknown) => {
        const p = entry as { project?: unknown; actions?: unknown };
        const target = project ? project.name : p.project;
        if (typeof target !== 'string' || (target !== '*' && !projects.has(target)))
          throw invalidArgument(`permissions.project: ${String(target)} is not a project (or "*")`);
        if (project && p.project !== undefined && p.project !== project.name)
          throw invalidArgument(`permissions.project: a robot of ${project.name} has permissions only there`);
        if (!Array.isArray(p.actions) || p.actions.length === 0)
          throw invalidArgument('permissions.actions: a non-empty list');
        return p.actions.map((action: unknown) => {
          if (!isProjectAction(action) || !ROBOT_ACTIONS.includes(action))
            throw invalidArgument(
              `permissions.actions: ${String(action)} is not one of ${ROBOT_ACTIONS.join(', ')}`,
            );
          return { project: target, action };
        });
      });
      const fullName = project ? `${ROBOT_PREFIX}${project.name}+${name}` : `${ROBOT_PREFIX}${name}`;
      return {
        name: fullName,
        description: typeof input['description'] === 'string' ? input['description'] : '',
        expiresAt: duration === -1 ? undefined : gov.now() + duration * 86_400_000,
        permissions,
      };
    };
    const createRobot = async (
      request: FastifyRequest,
      reply: FastifyReply,
      project: Project | undefined,
    ) => {
      const input = await robotInput(body(request), project);
      if (await store.robot(input.name))
        throw new ApiError(409, 'CONFLICT', `robot ${input.name} already exists`);
      const secret = randomBytes(24).toString('base64url');
      const robot = await store.createRobot({
        ...input,
        project: project?.name,
        secretHash: await gov.hash(secret),
        createdAt: gov.now(),
      });
      audit(request, 'create_robot', project?.name, robot.name, 'success', JSON.stringify(robot.permissions));
      // The secret is returned this once; only its bcrypt hash is kept.
      return reply.code(201).send({ ...robotView(robot), secret });
    };
    app.get('/api/v2.0/projects/:project/robots', async (request) => {
      const project = await projectParam(request);
      await require(request, project, 'manage robots');
      return (await store.robots(project.name)).map(robotView);
    });
    app.post('/api/v2.0/projects/:project/robots', async (request, reply) => {
      const project = await projectParam(request);
      await require(request, project, 'manage robots', 'create_robot');
      return createRobot(request, reply, project);
    });
    app.delete<{ Params: { project: string; name: string } }>(
      '/api/v2.0/projects/:project/robots/:name',
      async (request) => {
        const project = await projectParam(request);
        await require(request, project, 'manage robots', 'delete_robot');
        const robot = await store.robot(request.params.name);
        if (!robot || robot.project !== project.name)
          throw new ApiError(404, 'NOT_FOUND', `robot ${request.params.name} not found in ${project.name}`);
        await store.deleteRobot(robot.name);
        audit(request, 'delete_robot', project.name, robot.name);
        return {};
      },
    );
    app.get('/api/v2.0/robots', async (request) => {
      requireAdmin(request);
      return (await store.robots(undefined)).map(robotView);
    });
    app.post('/api/v2.0/robots', async (request, reply) => {
      requireAdmin(request, 'create_robot');
      return createRobot(request, reply, undefined);
    });
    app.delete<{ Params: { name: string } }>('/api/v2.0/robots/:name', async (request) => {
      requireAdmin(request, 'delete_robot', request.params.name);
      const robot = await store.robot(request.params.name);
      if (!robot || robot.project !== undefined)
        throw new ApiError(404, 'NOT_FOUND', `system robot ${request.params.name} not found`);
      await store.deleteRobot(robot.name);
      audit(request, 'delete_robot', undefined, robot.name);
      return {};
    });

    // System settings
    app.get('/api/v2.0/system/settings', async (request) => {
      requireAdmin(request);
      return { audit_retention_days: await store.setting<number>(AUDIT_RETENTION_DAYS, 0) };
    });
    app.put('/api/v2.0/system/settings', async (request) => {
      requireAdmin(request, 'update_settings', 'system');
      const input = body(request);
      const unknown = Object.keys(input).filter((k) => k !== 'audit_retention_days');
      if (unknown.length > 0) throw invalidArgument(`${unknown[0]}: unknown setting`);
      const days = input['audit_retention_days'];
      if (typeof days !== 'number' || !Number.isInteger(days) || days < 0)
        throw invalidArgument(
          'audit_retention_days: days to keep audit entries, a non-negative integer (0: forever)',
        );
      await store.setSetting(AUDIT_RETENTION_DAYS, days);
      audit(request, 'update_settings', undefined, 'system', 'success', `audit_retention_days=${days}`);
      const purged = await gov.purgeAudit();
      return { audit_retention_days: days, purged };
    });

    // Audit log (read only: there is no route that changes it)
    const auditQuery = async (request: FastifyRequest, project: string | undefined) => {
      const q = request.query as Record<string, string | undefined>;
      const time = (key: string) => {
        const value = q[key];
        if (value === undefined) return undefined;
        const ms = /^\d+$/.test(value) ? Number(value) * 1000 : Date.parse(value);
        if (Number.isNaN(ms)) throw invalidArgument(`${key}: not a time (RFC 3339 or Unix seconds)`);
        return ms;
      };
      const from = time('from');
      const to = time('to');
      const { total, entries } = await store.audit({
        ...page(request),
        ...(project ? { project } : q['project'] ? { project: q['project'] } : {}),
        ...(q['username'] ? { username: q['username'] } : {}),
        ...(q['operation'] ? { operation: q['operation'] } : {}),
        ...(from !== undefined ? { from } : {}),
        ...(to !== undefined ? { to } : {}),
      });
      return {
        total,
        entries: entries.map((e) => ({
          ...e,
          time: new Date(e.time).toISOString(),
          username: e.username ?? null,
        })),
      };
    };
    app.get('/api/v2.0/projects/:project/logs', async (request) => {
      const project = await projectParam(request);
      await require(request, project, 'read audit log');
      return auditQuery(request, project.name);
    });
    app.get('/api/v2.0/audit-logs', async (request) => {
      requireAdmin(request);
      return auditQuery(request, undefined);
    });

    // Repositories and artifacts
    app.get('/api/v2.0/projects/:project/repositories', async (request) => {
      const project = await projectParam(request);
      return await store.repositories(project.name);
    });
    app.delete('/api/v2.0/projects/:project/repositories/:repository', async (request) => {
      const project = await projectParam(request);
      await require(request, project, 'delete repository', 'delete_repository');
      const name = await repoParam(request, project);
      const immutable = (await store.tags({ repository: name })).find((t) =>
        matchesAny(project.settings.immutableTags, t.tag),
      );
      if (immutable) {
        audit(request, 'delete_repository', project.name, name, 'failure', `immutable tag ${immutable.tag}`);
        throw new ApiError(
          403,
          'FORBIDDEN',
          `tag ${name}:${immutable.tag} is immutable; the repository stays`,
        );
      }
      await store.deleteRepository(name);
      audit(request, 'delete_repository', project.name, name);
      return {};
    });
    app.get('/api/v2.0/projects/:project/repositories/:repository/artifacts', async (request) => {
      const project = await projectParam(request);
      return await store.artifacts(await repoParam(request, project));
    });
    app.delete<{ Params: { project: string; repository: string; reference: string } }>(
      '/api/v2.0/projects/:project/repositories/:repository/artifacts/:reference',
      async (request) => {
        const project = await projectParam(request);
        await require(request, project, 'delete artifact', 'delete_artifact');
        const name = await repoParam(request, project);
        const digest = parseRegistryDigest(request.params.reference);
        await registry.repository(name).manifests.delete({ digest });
        audit(request, 'delete_artifact', project.name, `${name}@${digest}`);
        return {};
      },
    );
    app.post<{ Params: { project: string; repository: string; reference: string } }>(
      '/api/v2.0/projects/:project/repositories/:repository/artifacts/:reference/tags',
      async (request, reply) => {
        const project = await projectParam(request);
        await require(request, project, 'manage tags', 'create_tag');
        const name = await repoParam(request, project);
        const tag = body(request)['name'];
        if (typeof tag !== 'string' || !/^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/.test(tag))
          throw invalidArgument('name: a tag is up to 128 letters, digits, "_", "." or "-"');
        const manifests = registry.repository(name).manifests;
        const source = await manifests.get(parseReference(request.params.reference), ['*/*']);
        await manifests.put({ tag }, source.content, source.mediaType);
        audit(request, 'create_tag', project.name, `${name}:${tag}`, 'success', source.digest);
        return reply.code(201).send({ name: tag, digest: source.digest });
      },
    );
    app.delete<{ Params: { project: string; repository: string; reference: string; tag: string } }>(
      '/api/v2.0/projects/:project/repositories/:repository/artifacts/:reference/tags/:tag',
      async (request) => {
        const project = await projectParam(request);
        await require(request, project, 'manage tags', 'delete_tag');
        const name = await repoParam(request, project);
        await registry.repository(name).manifests.delete({ tag: request.params.tag });
        audit(request, 'delete_tag', project.name, `${name}:${request.params.tag}`);
        return {};
      },
    );
  };

  async function projectView(project: Project) {
    return {
      name: project.name,
      public: project.public,
      created_at: new Date(project.createdAt).toISOString(),
      repo_count: (await store.repositories(project.name)).length,
      immutable_tags: project.settings.immutableTags ?? [],
      retention: project.settings.retention ?? null,
      // The upstream's password is never shown.
      proxy_cache: project.settings.proxyCache
        ? {
            url: project.settings.proxyCache.url,
            username: project.settings.proxyCache.username ?? null,
            namespace: project.settings.proxyCache.namespace ?? null,
          }
        : null,
    };
  }
  async function quotaView(project: Project) {
    const { used, linked } = await store.usage(project.name);
    return { project: project.name, storage_limit: project.storageLimit, used, pending: linked - used };
  }
}

function checkProxyCache(value: unknown): ProxyCacheSettings {
  const input = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  const { namespace, ...endpoint } = input;
  const settings: ProxyCacheSettings = checkEndpoint(
    typeof value === 'object' && value !== null ? endpoint : value,
    'proxy_cache',
  );
  if (namespace !== undefined && namespace !== null && namespace !== '') {
    if (typeof namespace !== 'string' || !/^[a-z0-9]+(?:[._/-][a-z0-9]+)*$/.test(namespace))
      throw invalidArgument('proxy_cache.namespace: a repository path such as "library"');
    settings.namespace = namespace;
  }
  return settings;
}

function storageLimitOf(value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || (value < 0 && value !== -1))
    throw invalidArgument('storage_limit: bytes, a non-negative integer, or -1 for unlimited');
  return value;
}

function userView(user: { name: string; sysadmin: boolean; createdAt: number } | undefined) {
  if (!user) return undefined;
  return { username: user.name, sysadmin: user.sysadmin, created_at: new Date(user.createdAt).toISOString() };
}

function robotView(robot: {
  name: string;
  project: string | undefined;
  description: string;
  expiresAt: number | undefined;
  disabled: boolean;
  permissions: { project: string; action: string }[];
}) {
  return {
    name: robot.name,
    level: robot.project ? 'project' : 'system',
    project: robot.project ?? null,
    description: robot.description,
    expires_at: robot.expiresAt ? new Date(robot.expiresAt).toISOString() : null,
    disabled: robot.disabled,
    permissions: robot.permissions,
  };
}

function deny(who: Principal, what: string): never {
  if (who.kind === 'anonymous') throw new ApiError(401, 'UNAUTHORIZED', 'log in first (HTTP Basic)');
  throw new ApiError(403, 'FORBIDDEN', `not allowed: ${what}`);
}
