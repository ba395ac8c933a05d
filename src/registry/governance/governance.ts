import { createHash, randomBytes } from 'node:crypto';
import bcrypt from 'bcryptjs';
import { invalidArgument } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { Access, AccessPolicy, Identity } from '../auth/access.js';
import type { UserDirectory } from '../auth/htpasswd.js';
import { registryError } from '../errors.js';
import type { AuditEvent, AuditSink } from '../http/audit.js';
import type { TagChange } from '../service/context.js';
import type { GovernanceDatabase } from './database.js';
import { type ProjectAction, type Subject, subjectMay } from './permissions.js';
import { matchesAny } from './rules.js';
import {
  type AuditEntry,
  createGovernanceStore,
  type GovernanceStore,
  type Project,
  type Robot,
  type User,
} from './store.js';

/** Who is asking, resolved against the governance tables. */
export type Principal =
  | { kind: 'anonymous' }
  | { kind: 'user'; user: User }
  | { kind: 'robot'; robot: Robot };

export const ROBOT_PREFIX = 'robot$';
/** The part of a robot's name its creator chooses. */
export const ROBOT_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const NAME = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$/;
const USERNAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const VERIFIED_TTL_MS = 5 * 60 * 1000;

/** Harbor's password policy: 8–128 characters with an upper-case letter, a lower-case letter and a digit. */
export function checkPasswordPolicy(password: unknown, field = 'password'): string {
  if (typeof password !== 'string') throw invalidArgument(`${field}: must be a string`);
  if (password.length < 8 || password.length > 128)
    throw invalidArgument(`${field}: must be 8 to 128 characters long`);
  if (!/[A-Z]/.test(password) || !/[a-z]/.test(password) || !/[0-9]/.test(password)) {
    throw invalidArgument(`${field}: must contain an upper-case letter, a lower-case letter and a digit`);
  }
  return password;
}

export function checkProjectName(name: unknown): string {
  if (typeof name !== 'string' || name.length > 255 || !NAME.test(name)) {
    throw invalidArgument(
      'name: a project name is lower-case letters and digits, separated by ".", "_", "__" or "-"',
    );
  }
  return name;
}

export function checkUsername(name: unknown): string {
  if (typeof name !== 'string' || !USERNAME.test(name)) {
    throw invalidArgument(
      'username: 1 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit',
    );
  }
  return name;
}

/** The project part of a repository name (`team/app` → `team`); undefined when there is none. */
export function projectOf(repository: string): string | undefined {
  const slash = repository.indexOf('/');
  return slash > 0 ? repository.slice(0, slash) : undefined;
}

/** A random password that satisfies the policy. */
export function generatePassword(): string {
  return `${randomBytes(15).toString('base64url')}Aa1`;
}

/** Options of {@link createGovernance}. */
export interface GovernanceOptions {
  /** The registry's database (SQLite or PostgreSQL); see database.ts. */
  db: GovernanceDatabase;
  logger: Logger;
  /** Password of `admin` at first start; generated (and printed once) when absent. */
  adminPassword?: string;
  /** Where the generated admin password is printed. */
  announce?: (line: string) => void;
  now?: () => number;
  bcryptCost?: number;
}

/** Projects, users, roles, robots, the audit log and quotas of one registry. */
export interface Governance {
  readonly store: GovernanceStore;
  /** The database the store is on, for the other governance tables (replication, webhooks). */
  readonly db: GovernanceDatabase;
  /** The registry's authorization policy (project RBAC). */
  readonly policy: AccessPolicy;
  /** Users and robot accounts for the token service and Basic auth; logins are audited. */
  readonly users: UserDirectory;
  /** Registry operations (push, pull, delete) into the audit log. */
  readonly audit: AuditSink;
  /** Quota check before a blob joins a repository. */
  admitBlob(repository: string, digest: string, size: number): Promise<void>;
  /** Immutable tags: refuses overwriting or removing them. */
  guardTags(repository: string, change: TagChange): Promise<void>;
  principal(name: string | undefined): Promise<Principal>;
  principalOf(identity: Identity): Promise<Principal>;
  /** Whether the principal may do `action` in `project` (one cell of the matrix). */
  may(principal: Principal, project: Project, action: ProjectAction): Promise<boolean>;
  isSysadmin(principal: Principal): boolean;
  nameOf(principal: Principal): string | undefined;
  record(entry: {
    principal: Principal;
    remoteAddress: string;
    operation: string;
    project?: string | undefined;
    resource: string;
    result: 'success' | 'failure';
    detail?: string;
  }): void;
  hash(secret: string): Promise<string>;
  now(): number;
  /** Deletes audit entries older than the retention setting; returns how many. */
  purgeAudit(): Promise<number>;
  /** Called after every audit entry is appended (webhooks). */
  onAudit(listener: (entry: Omit<AuditEntry, 'id'>) => void): void;
  /** Stops the hourly audit purge, writes the queued audit entries and closes the store. */
  close(): Promise<void>;
}

/** System setting: audit entries older than this many days are deleted; 0 keeps them forever. */
export const AUDIT_RETENTION_DAYS = 'audit_retention_days';

/** Opens the governance tables and creates `admin` and `library` at first start. */
export async function createGovernance(options: GovernanceOptions): Promise<Governance> {
  const store = await createGovernanceStore(options.db);
  const now = options.now ?? Date.now;
  const cost = options.bcryptCost ?? 10;
  await bootstrap(store, options, now(), cost);

  const principal = async (name: string | undefined): Promise<Principal> => {
    if (!name) return { kind: 'anonymous' };
    if (name.startsWith(ROBOT_PREFIX)) {
      const robot = await store.robot(name);
      return robot ? { kind: 'robot', robot } : { kind: 'anonymous' };
    }
    const user = await store.user(name);
    return user ? { kind: 'user', user } : { kind: 'anonymous' };
  };
  const auditListeners: ((entry: Omit<AuditEntry, 'id'>) => void)[] = [];
  const appendAudit = (entry: Omit<AuditEntry, 'id'>) => {
    store.appendAudit(entry);
    for (const listener of auditListeners) {
      try {
        listener(entry);
      } catch (err) {
        options.logger.warn('audit listener failed', { error: err });
      }
    }
  };
  const robotUsable = (robot: Robot) =>
    !robot.disabled && (robot.expiresAt === undefined || robot.expiresAt > now());
  const subjectOf = async (who: Principal, project: Project): Promise<Subject> => {
    const visibility = project.public ? 'public' : 'private';
    if (who.kind === 'anonymous') return `anonymous, ${visibility}`;
    if (who.kind === 'user') {
      if (who.user.sysadmin) return 'system admin';
      return (await store.role(project.name, who.user.name)) ?? `non-member, ${visibility}`;
    }
    return `non-member, ${visibility}`;
  };
  const may = async (who: Principal, project: Project, action: ProjectAction): Promise<boolean> => {
    if (who.kind === 'robot') {
      const { robot } = who;
      if (!robotUsable(robot)) return false;
      if (robot.project !== undefined && robot.project !== project.name) return false;
      if (
        robot.permissions.some(
          (p) => (p.project === project.name || p.project === '*') && p.action === action,
        )
      )
        return true;
      // Like any outsider, a robot may pull from a public project.
      return action === 'pull' && project.public;
    }
    return subjectMay(await subjectOf(who, project), action);
  };
  const isSysadmin = (who: Principal) => who.kind === 'user' && who.user.sysadmin;
  const nameOf = (who: Principal) =>
    who.kind === 'user' ? who.user.name : who.kind === 'robot' ? who.robot.name : undefined;
  const record: Governance['record'] = (entry) => {
    appendAudit({
      time: now(),
      username: nameOf(entry.principal),
      remoteAddress: entry.remoteAddress,
      operation: entry.operation,
      project: entry.project,
      resource: entry.resource,
      result: entry.result,
      detail: entry.detail,
    });
  };

  const REGISTRY_ACTIONS: Record<Access['action'], ProjectAction[]> = {
    pull: ['pull'],
    push: ['push'],
    delete: ['delete artifact'],
    '*': ['pull', 'push', 'delete artifact'],
  };
  const policy: AccessPolicy = {
    async allows(identity, access) {
      const who = await principalOf(identity);
      // The catalog and GC span every project: system admins only.
      if (access.type === 'registry') return isSysadmin(who);
      const projectName = projectOf(access.name);
      const project = projectName === undefined ? undefined : await store.project(projectName);
      if (!project) return false;
      for (const action of REGISTRY_ACTIONS[access.action])
        if (!(await may(who, project, action))) return false;
      return true;
    },
  };
  // Every request is judged against the accounts as they are now, not as they were when
  // its token was issued: a deleted, expired or disabled robot's tokens stop working at
  // once. A token older than the robot that now has its name was another robot's.
  const principalOf = async (identity: Identity): Promise<Principal> => {
    const who = await principal(identity.kind === 'user' ? identity.name : undefined);
    if (
      who.kind === 'robot' &&
      identity.kind === 'user' &&
      identity.issuedAt !== undefined &&
      identity.issuedAt * 1000 < who.robot.createdAt - 999
    )
      return { kind: 'anonymous' };
    return who;
  };

  const dummyHash = bcrypt.hashSync(generatePassword(), cost);
  // bcrypt costs tens of milliseconds; Basic clients send credentials with every request.
  const verified = new Map<string, number>();
  const users: UserDirectory = {
    // A refresh token (docker login's identity token) dies with its user or robot, and with a password change.
    async acceptsRefresh(name, issuedAt) {
      const who = await principal(name);
      if (who.kind === 'robot') return robotUsable(who.robot) && issuedAt * 1000 >= who.robot.createdAt - 999;
      return who.kind === 'user' && issuedAt >= Math.floor(who.user.updatedAt / 1000);
    },
    async verify(name, password, remoteAddress = '') {
      const who = await principal(name);
      const hash =
        who.kind === 'user' ? who.user.passwordHash : who.kind === 'robot' ? who.robot.secretHash : undefined;
      const key = createHash('sha256')
        .update(`${name}\0${password}\0${hash ?? ''}`)
        .digest('hex');
      if (hash && (verified.get(key) ?? 0) > now() && (who.kind !== 'robot' || robotUsable(who.robot)))
        return true;
      // Unknown names cost a bcrypt comparison too, so timing does not tell which names exist.
      const matches = await bcrypt.compare(password, hash ?? dummyHash);
      const ok = matches && hash !== undefined && (who.kind !== 'robot' || robotUsable(who.robot));
      record({
        principal: ok ? who : { kind: 'anonymous' },
        remoteAddress,
        operation: 'login',
        project: who.kind === 'robot' ? who.robot.project : undefined,
        resource: name,
        result: ok ? 'success' : 'failure',
        ...(ok ? {} : { detail: 'invalid username or password' }),
      });
      if (!ok) return false;
      if (verified.size > 10_000) verified.clear();
      verified.set(key, now() + VERIFIED_TTL_MS);
      return true;
    },
  };

  /**
   * Quota refusals wait here for their request's audit event, which knows the
   * caller (the storage layer does not); one that no event claims within 30 s
   * is recorded without a caller.
   */
  const refusals = new Map<string, { project: string; resource: string; detail: string; at: number }[]>();
  const recordRefusal = (
    refusal: { project: string; resource: string; detail: string },
    who: Principal,
    remoteAddress: string,
  ) =>
    record({
      principal: who,
      remoteAddress,
      operation: 'quota_exceeded',
      project: refusal.project,
      resource: refusal.resource,
      result: 'failure',
      detail: refusal.detail,
    });
  const flushStaleRefusals = () => {
    for (const [repository, queue] of refusals) {
      while (queue[0] && queue[0].at < now() - 30_000)
        recordRefusal(queue.shift()!, { kind: 'anonymous' }, '');
      if (queue.length === 0) refusals.delete(repository);
    }
  };
  const takeRefusal = (repository: string) => {
    const queue = refusals.get(repository);
    const refusal = queue?.shift();
    if (queue?.length === 0) refusals.delete(repository);
    return refusal;
  };

  // Pull times feed retention ("pulled within N days"); a minute's precision spares a write per pull.
  const lastPulls = new Map<string, number>();
  const notePulls = (repository: string, tags: readonly string[]) => {
    for (const tag of tags) {
      if (!tag) continue;
      const key = `${repository}:${tag}`;
      if (now() - (lastPulls.get(key) ?? 0) < 60_000) continue;
      if (lastPulls.size > 100_000) lastPulls.clear();
      lastPulls.set(key, now());
      store.recordPull(repository, tag, now()).catch((err: unknown) => {
        options.logger.warn('recording a pull failed', { error: err });
      });
    }
  };

  // In-flight admissions per project, so parallel layer uploads cannot together overshoot a quota.
  const reserved = new Map<string, Map<string, { size: number; at: number }>>();
  // Admissions into one project take turns: the check and the reservation must not interleave.
  const admissions = new Map<string, Promise<void>>();
  const admitBlob = (repository: string, digest: string, size: number): Promise<void> => {
    const key = projectOf(repository) ?? '';
    const turn = (admissions.get(key) ?? Promise.resolve()).then(() => admitInTurn(repository, digest, size));
    const settled = turn.catch(() => {});
    admissions.set(key, settled);
    void settled.then(() => {
      if (admissions.get(key) === settled) admissions.delete(key);
    });
    return turn;
  };
  const admitInTurn = async (repository: string, digest: string, size: number) => {
    const projectName = projectOf(repository);
    const project = projectName === undefined ? undefined : await store.project(projectName);
    if (!project || project.storageLimit < 0 || (await store.blobInProject(project.name, digest))) return;
    const pending = reserved.get(project.name) ?? new Map<string, { size: number; at: number }>();
    reserved.set(project.name, pending);
    let pendingBytes = 0;
    for (const [d, r] of pending) {
      if (d === digest || (await store.blobInProject(project.name, d)) || r.at < now() - 60_000)
        pending.delete(d);
      else pendingBytes += r.size;
    }
    const { linked } = await store.usage(project.name);
    if (linked + pendingBytes + size > project.storageLimit) {
      const message =
        `quota exceeded: project ${project.name} uses ${linked + pendingBytes} of its ${project.storageLimit} ` +
        `bytes; a blob of ${size} bytes does not fit`;
      flushStaleRefusals();
      const queue = refusals.get(repository) ?? [];
      queue.push({ project: project.name, resource: `${repository}@${digest}`, detail: message, at: now() });
      refusals.set(repository, queue);
      throw registryError('DENIED', { message });
    }
    pending.set(digest, { size, at: now() });
  };

  const guardTags = async (repository: string, change: TagChange) => {
    const projectName = projectOf(repository);
    const project = projectName === undefined ? undefined : await store.project(projectName);
    const patterns = project?.settings.immutableTags;
    if (!project || !patterns || patterns.length === 0) return;
    const tags = await store.tags({ repository });
    let blocked: string | undefined;
    if (change.kind === 'set') {
      const existing = tags.find((t) => t.tag === change.tag);
      if (existing && existing.digest !== change.digest && matchesAny(patterns, change.tag))
        blocked = change.tag;
    } else if (change.kind === 'remove') {
      if (tags.some((t) => t.tag === change.tag) && matchesAny(patterns, change.tag)) blocked = change.tag;
    } else {
      blocked = tags.find((t) => t.digest === change.digest && matchesAny(patterns, t.tag))?.tag;
    }
    if (blocked !== undefined) {
      throw registryError('DENIED', {
        message: `tag ${repository}:${blocked} is immutable (a tag immutability rule of project ${project.name})`,
      });
    }
  };

  const purgeAudit = async () => {
    const days = await store.setting<number>(AUDIT_RETENTION_DAYS, 0);
    if (days <= 0) return 0;
    const purged = await store.purgeAudit(now() - days * 86_400_000);
    if (purged > 0) options.logger.info('audit log retention', { deleted: purged, days });
    return purged;
  };
  const purgeTimer = setInterval(
    () => {
      purgeAudit().catch((err: unknown) =>
        options.logger.error('audit log retention failed', { error: err }),
      );
    },
    60 * 60 * 1000,
  );
  purgeTimer.unref();

  /** Entries of registry requests still being resolved; reads of the log wait for them. */
  const inFlight = new Set<Promise<void>>();
  const recordEvent = async (event: AuditEvent) => {
    const operation = operationOf(event);
    if (!operation || !event.repository) return;
    const refusal =
      event.status === 403 && event.route.includes('/blobs/uploads')
        ? takeRefusal(event.repository)
        : undefined;
    const who = await principal(event.user);
    const ok = event.status < 400;
    if (refusal) recordRefusal(refusal, who, event.remoteAddress);
    const isDigest = event.target?.startsWith('sha256:') ?? false;
    // Clients resolve a tag with HEAD and then GET the digest: name the tags it had.
    const tags =
      ok && isDigest && operation === 'pull'
        ? (await store.tags({ repository: event.repository }))
            .filter((t) => t.digest === event.target)
            .map((t) => t.tag)
        : [];
    if (ok && operation === 'pull') notePulls(event.repository, isDigest ? tags : [event.target ?? '']);
    appendAudit({
      time: now(),
      username: nameOf(who),
      remoteAddress: event.remoteAddress,
      operation,
      project: projectOf(event.repository),
      resource:
        event.target && event.route.includes('/manifests/')
          ? `${event.repository}${isDigest ? '@' : ':'}${event.target}`
          : event.repository,
      result: ok ? 'success' : 'failure',
      detail: ok
        ? tags.length > 0
          ? `tags: ${tags.join(' ')}`
          : undefined
        : refusal
          ? `HTTP ${event.status}: ${refusal.detail}`
          : `HTTP ${event.status}`,
    });
  };
  const governedStore: GovernanceStore = {
    ...store,
    audit: async (query) => {
      await Promise.all(inFlight);
      return store.audit(query);
    },
  };

  return {
    store: governedStore,
    db: options.db,
    policy,
    users,
    guardTags,
    purgeAudit,
    onAudit: (listener) => {
      auditListeners.push(listener);
    },
    async close() {
      clearInterval(purgeTimer);
      await Promise.all(inFlight);
      await store.close();
    },
    audit: {
      // The sink is synchronous: the entry is resolved and queued in the background.
      record(event) {
        const done = recordEvent(event)
          .catch((err: unknown) => options.logger.warn('audit entry not recorded', { error: err }))
          .finally(() => inFlight.delete(done));
        inFlight.add(done);
      },
    },
    admitBlob,
    principal,
    principalOf,
    may,
    isSysadmin,
    nameOf,
    record,
    hash: (secret) => bcrypt.hash(secret, cost),
    now,
  };
}

async function bootstrap(
  store: GovernanceStore,
  options: GovernanceOptions,
  now: number,
  cost: number,
): Promise<void> {
  if ((await store.userCount()) > 0) return;
  const given = options.adminPassword;
  const password = given ? checkPasswordPolicy(given, 'BERTH_REGISTRY_ADMIN_PASSWORD') : generatePassword();
  // Replicas sharing a PostgreSQL database may start together: the one whose insert loses
  // (names are unique) finds the winner's rows and leaves them be.
  try {
    await store.createUser('admin', bcrypt.hashSync(password, cost), true, now);
  } catch (err) {
    if (await store.user('admin')) return;
    throw err;
  }
  if (!(await store.project('library'))) {
    await store.createProject('library', true, -1, now).catch(async (err: unknown) => {
      if (!(await store.project('library'))) throw err;
    });
  }
  options.logger.info('created the system admin "admin" and the public project "library"');
  if (!given) {
    const announce = options.announce ?? ((line: string) => process.stderr.write(`${line}\n`));
    announce(`berth-registry: the password of user "admin" is ${password} (shown only this once)`);
  }
}

// Which registry requests the audit log keeps: manifest pushes, pulls and
// deletes, and every refused write. Successful blob transfers are parts of a
// push or pull and are not logged one by one.
function operationOf(event: AuditEvent): string | undefined {
  const { route, method, status } = event;
  const failed = status >= 400;
  if (route.endsWith('/manifests/:reference')) {
    if (method === 'GET' || (method === 'HEAD' && failed)) return 'pull';
    if (method === 'PUT') return 'push';
    if (method === 'DELETE') return event.target?.startsWith('sha256:') ? 'delete_artifact' : 'delete_tag';
    return undefined;
  }
  if (route.includes('/blobs/uploads')) return failed ? 'push' : undefined;
  if (route.endsWith('/blobs/:digest')) {
    if (method === 'DELETE') return 'delete_blob';
    return failed && method === 'GET' ? 'pull' : undefined;
  }
  return undefined;
}
