/**
 * The OpenAPI 3.0 description of the management API, served at
 * `/api/openapi.json`. Built from a compact route table so each path is
 * written once.
 */
interface Route {
  method: 'get' | 'post' | 'put' | 'delete';
  path: string;
  summary: string;
  /** Matrix action (or "system admin") the route needs. */
  needs: string;
  body?: Record<string, unknown>;
  query?: string[];
}

const str = { type: 'string' };
const bool = { type: 'boolean' };
const int = { type: 'integer' };
const REPLICATION_POLICY = {
  name: str,
  direction: { type: 'string', enum: ['push', 'pull'] },
  project: str,
  remote: { type: 'object', properties: { url: str, username: str, password: str } },
  remote_namespace: str,
  repositories: { type: 'array', items: str },
  tags: { type: 'array', items: str },
  trigger: { type: 'string', enum: ['manual', 'scheduled', 'event_based'] },
  schedule: { type: 'string', enum: ['hourly', 'daily', 'weekly'] },
  enabled: bool,
};
const WEBHOOK_POLICY = {
  name: str,
  url: str,
  secret: str,
  events: {
    type: 'array',
    items: {
      type: 'string',
      enum: ['PUSH_ARTIFACT', 'PULL_ARTIFACT', 'DELETE_ARTIFACT', 'QUOTA_EXCEED', 'REPLICATION'],
    },
  },
  enabled: bool,
};
const ROLE = { type: 'string', enum: ['project admin', 'maintainer', 'developer', 'guest', 'limited guest'] };

const ROUTES: Route[] = [
  { method: 'get', path: '/users/current', summary: 'The caller', needs: 'login' },
  { method: 'get', path: '/users', summary: 'List users', needs: 'system admin' },
  {
    method: 'post',
    path: '/users',
    summary: 'Create a user (password: 8-128 characters with upper case, lower case and a digit)',
    needs: 'system admin',
    body: { username: str, password: str, sysadmin: bool },
  },
  {
    method: 'put',
    path: '/users/{username}/password',
    summary: 'Change a password (own, with oldPassword) or reset one (system admin)',
    needs: 'self or system admin',
    body: { oldPassword: str, newPassword: str },
  },
  {
    method: 'put',
    path: '/users/{username}/sysadmin',
    summary: 'Grant or revoke system admin',
    needs: 'system admin',
    body: { sysadmin: bool },
  },
  { method: 'delete', path: '/users/{username}', summary: 'Delete a user', needs: 'system admin' },
  { method: 'get', path: '/projects', summary: 'Projects the caller can see', needs: 'none' },
  {
    method: 'post',
    path: '/projects',
    summary: 'Create a project',
    needs: 'system admin',
    body: {
      project_name: str,
      public: bool,
      storage_limit: int,
      proxy_cache: {
        type: 'object',
        nullable: true,
        description: 'system admin only; null makes it an ordinary project again',
        properties: { url: str, username: str, password: str, namespace: str },
      },
    },
  },
  { method: 'get', path: '/projects/{project}', summary: 'A project', needs: 'pull' },
  {
    method: 'put',
    path: '/projects/{project}',
    summary: 'Change project settings',
    needs: 'change settings',
    body: {
      public: bool,
      immutable_tags: {
        type: 'array',
        items: str,
        description: 'tag patterns (* and ?) never overwritten or deleted',
      },
      retention: {
        type: 'object',
        properties: {
          keepLast: int,
          keepDays: int,
          keepPulledDays: int,
          keepTags: { type: 'array', items: str },
          schedule: { type: 'string', enum: ['hourly', 'daily', 'weekly'] },
        },
      },
      proxy_cache: {
        type: 'object',
        nullable: true,
        description: 'system admin only; null makes it an ordinary project again',
        properties: { url: str, username: str, password: str, namespace: str },
      },
    },
  },
  {
    method: 'post',
    path: '/projects/{project}/retention/run',
    summary: 'Apply the retention policy now (dry_run=true: only report)',
    needs: 'change settings',
    query: ['dry_run'],
  },
  {
    method: 'delete',
    path: '/projects/{project}',
    summary: 'Delete an empty project',
    needs: 'system admin',
  },
  {
    method: 'get',
    path: '/projects/{project}/quota',
    summary: 'Storage limit and usage (bytes)',
    needs: 'pull',
  },
  {
    method: 'put',
    path: '/projects/{project}/quota',
    summary: 'Set the storage limit (bytes, -1 = unlimited)',
    needs: 'set quota',
    body: { storage_limit: int },
  },
  { method: 'get', path: '/quotas', summary: 'Quotas of every project', needs: 'system admin' },
  {
    method: 'get',
    path: '/projects/{project}/members',
    summary: 'Members and roles',
    needs: 'read audit log',
  },
  {
    method: 'post',
    path: '/projects/{project}/members',
    summary: 'Add a member',
    needs: 'manage members',
    body: { username: str, role: ROLE },
  },
  {
    method: 'put',
    path: '/projects/{project}/members/{username}',
    summary: "Change a member's role",
    needs: 'manage members',
    body: { role: ROLE },
  },
  {
    method: 'delete',
    path: '/projects/{project}/members/{username}',
    summary: 'Remove a member',
    needs: 'manage members',
  },
  { method: 'get', path: '/projects/{project}/robots', summary: 'Robot accounts', needs: 'manage robots' },
  {
    method: 'post',
    path: '/projects/{project}/robots',
    summary: 'Create a project robot; the answer holds its secret, shown only once',
    needs: 'manage robots',
    body: {
      name: str,
      description: str,
      duration: { type: 'integer', description: 'days until expiry; -1 never' },
      permissions: {
        type: 'array',
        items: { type: 'object', properties: { actions: { type: 'array', items: str } } },
      },
    },
  },
  {
    method: 'delete',
    path: '/projects/{project}/robots/{name}',
    summary: 'Delete a robot',
    needs: 'manage robots',
  },
  { method: 'get', path: '/robots', summary: 'System robots', needs: 'system admin' },
  {
    method: 'post',
    path: '/robots',
    summary: 'Create a system robot (permissions per project or "*")',
    needs: 'system admin',
    body: {
      name: str,
      description: str,
      duration: int,
      permissions: {
        type: 'array',
        items: {
          type: 'object',
          properties: { project: str, actions: { type: 'array', items: str } },
        },
      },
    },
  },
  { method: 'delete', path: '/robots/{name}', summary: 'Delete a system robot', needs: 'system admin' },
  {
    method: 'get',
    path: '/projects/{project}/logs',
    summary: "The project's audit log, newest first",
    needs: 'read audit log',
    query: ['username', 'operation', 'from', 'to', 'page', 'page_size'],
  },
  {
    method: 'get',
    path: '/audit-logs',
    summary: 'The whole audit log, newest first',
    needs: 'system admin',
    query: ['project', 'username', 'operation', 'from', 'to', 'page', 'page_size'],
  },
  { method: 'get', path: '/replication/policies', summary: 'Replication rules', needs: 'system admin' },
  {
    method: 'post',
    path: '/replication/policies',
    summary: 'Create a replication rule (push: project to remote; pull: remote into project)',
    needs: 'system admin',
    body: REPLICATION_POLICY,
  },
  { method: 'get', path: '/replication/policies/{id}', summary: 'A replication rule', needs: 'system admin' },
  {
    method: 'put',
    path: '/replication/policies/{id}',
    summary: 'Change a replication rule (keys left out keep their values)',
    needs: 'system admin',
    body: REPLICATION_POLICY,
  },
  {
    method: 'delete',
    path: '/replication/policies/{id}',
    summary: 'Delete a replication rule',
    needs: 'system admin',
  },
  {
    method: 'post',
    path: '/replication/executions',
    summary: 'Run a rule now (in the background; poll the execution)',
    needs: 'system admin',
    body: { policy_id: int },
  },
  {
    method: 'get',
    path: '/replication/executions',
    summary: 'Executions, newest first',
    needs: 'system admin',
    query: ['policy_id'],
  },
  { method: 'get', path: '/replication/executions/{id}', summary: 'An execution', needs: 'system admin' },
  {
    method: 'get',
    path: '/replication/executions/{id}/tasks',
    summary: 'Per-artifact results of an execution',
    needs: 'system admin',
  },
  {
    method: 'post',
    path: '/replication/executions/{id}/retry',
    summary: 'Run the failed artifacts of an execution again',
    needs: 'system admin',
  },
  {
    method: 'get',
    path: '/projects/{project}/webhook/policies',
    summary: "The project's webhook policies",
    needs: 'change settings',
  },
  {
    method: 'post',
    path: '/projects/{project}/webhook/policies',
    summary: 'Create a webhook policy; the secret (given or generated) is returned only here',
    needs: 'change settings',
    body: WEBHOOK_POLICY,
  },
  {
    method: 'get',
    path: '/projects/{project}/webhook/policies/{id}',
    summary: 'A webhook policy',
    needs: 'change settings',
  },
  {
    method: 'put',
    path: '/projects/{project}/webhook/policies/{id}',
    summary: 'Change a webhook policy',
    needs: 'change settings',
    body: WEBHOOK_POLICY,
  },
  {
    method: 'delete',
    path: '/projects/{project}/webhook/policies/{id}',
    summary: 'Delete a webhook policy',
    needs: 'change settings',
  },
  {
    method: 'get',
    path: '/projects/{project}/webhook/policies/{id}/deliveries',
    summary: 'Delivery log, newest first: status, attempts, last HTTP status or error, payload',
    needs: 'change settings',
  },
  {
    method: 'post',
    path: '/projects/{project}/webhook/policies/{id}/deliveries/{delivery}/retry',
    summary: 'Send a delivery again',
    needs: 'change settings',
  },
  { method: 'get', path: '/system/settings', summary: 'System settings', needs: 'system admin' },
  {
    method: 'put',
    path: '/system/settings',
    summary: 'Change system settings; audit entries older than audit_retention_days are deleted (0: never)',
    needs: 'system admin',
    body: { audit_retention_days: int },
  },
  { method: 'get', path: '/projects/{project}/repositories', summary: 'Repositories', needs: 'pull' },
  {
    method: 'delete',
    path: '/projects/{project}/repositories/{repository}',
    summary: 'Delete a repository (name without the project; "/" as %2F)',
    needs: 'delete repository',
  },
  {
    method: 'get',
    path: '/projects/{project}/repositories/{repository}/artifacts',
    summary: 'Artifacts with their tags',
    needs: 'pull',
  },
  {
    method: 'delete',
    path: '/projects/{project}/repositories/{repository}/artifacts/{reference}',
    summary: 'Delete an artifact by digest (and its tags)',
    needs: 'delete artifact',
  },
  {
    method: 'post',
    path: '/projects/{project}/repositories/{repository}/artifacts/{reference}/tags',
    summary: 'Tag an artifact',
    needs: 'manage tags',
    body: { name: str },
  },
  {
    method: 'delete',
    path: '/projects/{project}/repositories/{repository}/artifacts/{reference}/tags/{tag}',
    summary: 'Remove a tag',
    needs: 'manage tags',
  },
];

const ERROR = {
  description: 'error',
  content: {
    'application/json': {
      schema: {
        type: 'object',
        properties: {
          errors: {
            type: 'array',
            items: { type: 'object', properties: { code: str, message: str } },
          },
        },
      },
    },
  },
};

/** The OpenAPI document. */
export function openApiDocument(): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of ROUTES) {
    const params = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => ({
      name: m[1],
      in: 'path',
      required: true,
      schema: str,
    }));
    const query = (route.query ?? []).map((name) => ({ name, in: 'query', required: false, schema: str }));
    const key = `/api/v2.0${route.path}`;
    const entry = paths[key] ?? {};
    paths[key] = entry;
    entry[route.method] = {
      summary: route.summary,
      description: `Needs: ${route.needs} (see docs/registry-permissions.md).`,
      parameters: [...params, ...query],
      ...(route.body
        ? {
            requestBody: {
              required: true,
              content: { 'application/json': { schema: { type: 'object', properties: route.body } } },
            },
          }
        : {}),
      responses: {
        '200': { description: 'OK' },
        ...(route.method === 'post' ? { '201': { description: 'created' } } : {}),
        '400': ERROR,
        '401': ERROR,
        '403': ERROR,
        '404': ERROR,
        '409': ERROR,
      },
    };
  }
  return {
    openapi: '3.0.3',
    info: {
      title: 'berth-registry management API',
      version: '2.0',
      description:
        'Projects, members, users, robot accounts, audit log and quotas. HTTP Basic authentication.',
    },
    components: { securitySchemes: { basic: { type: 'http', scheme: 'basic' } } },
    security: [{ basic: [] }, {}],
    paths,
  };
}
