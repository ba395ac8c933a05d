/**
 * The permission matrix: which subject may do which action in a project.
 * docs/registry-permissions.md states the same table; the matrix test walks
 * the API cell by cell against the document, so code and doc cannot drift.
 */

/** Actions on a project (the rows of the matrix). */
export const PROJECT_ACTIONS = [
  'pull',
  'push',
  'delete artifact',
  'delete repository',
  'manage tags',
  'manage members',
  'manage robots',
  'read audit log',
  'change settings',
  'set quota',
] as const;
export type ProjectAction = (typeof PROJECT_ACTIONS)[number];

/** Roles a member holds in a project, with Harbor's meanings. */
export const MEMBER_ROLES = ['project admin', 'maintainer', 'developer', 'guest', 'limited guest'] as const;
export type MemberRole = (typeof MEMBER_ROLES)[number];

/**
 * Who asks, relative to one project (the columns of the matrix): a system
 * admin, a member by role, or an outsider (logged-in non-member or anonymous)
 * of a public or private project.
 */
export const SUBJECTS = [
  'system admin',
  ...MEMBER_ROLES,
  'non-member, public',
  'anonymous, public',
  'non-member, private',
  'anonymous, private',
] as const;
export type Subject = (typeof SUBJECTS)[number];

const ALL = new Set<ProjectAction>(PROJECT_ACTIONS);
const PULL_ONLY = new Set<ProjectAction>(['pull']);
const NOTHING = new Set<ProjectAction>();

const GRANTS: Record<Subject, ReadonlySet<ProjectAction>> = {
  'system admin': ALL,
  'project admin': new Set(PROJECT_ACTIONS.filter((a) => a !== 'set quota')),
  maintainer: new Set([
    'pull',
    'push',
    'delete artifact',
    'delete repository',
    'manage tags',
    'read audit log',
  ] as const),
  developer: new Set(['pull', 'push', 'read audit log'] as const),
  guest: new Set(['pull', 'read audit log'] as const),
  'limited guest': PULL_ONLY,
  'non-member, public': PULL_ONLY,
  'anonymous, public': PULL_ONLY,
  'non-member, private': NOTHING,
  'anonymous, private': NOTHING,
};

/** Whether `subject` may perform `action` (one cell of the matrix). */
export function subjectMay(subject: Subject, action: ProjectAction): boolean {
  return GRANTS[subject].has(action);
}

/** Actions a robot account may be given: registry work and reading the log, never administration. */
export const ROBOT_ACTIONS: readonly ProjectAction[] = [
  'pull',
  'push',
  'delete artifact',
  'delete repository',
  'manage tags',
  'read audit log',
];

export function isMemberRole(value: unknown): value is MemberRole {
  return typeof value === 'string' && (MEMBER_ROLES as readonly string[]).includes(value);
}

export function isProjectAction(value: unknown): value is ProjectAction {
  return typeof value === 'string' && (PROJECT_ACTIONS as readonly string[]).includes(value);
}
