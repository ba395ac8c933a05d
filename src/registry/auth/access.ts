/**
 * Vocabulary of authorization, after Docker's token authentication spec:
 * a resource (type + name) and an action on it. Authentication produces an
 * {@link Identity}; one decision function ({@link authorize}) says whether
 * that identity may do what a route needs, asking an {@link AccessPolicy}.
 * Project RBAC plugs in as another AccessPolicy.
 */
export type Action = 'pull' | 'push' | 'delete' | '*';

/** One permission: `repository:library/busybox:pull`, `registry:catalog:*`. */
export interface Access {
  type: 'repository' | 'registry';
  name: string;
  action: Action;
}

/** Who is asking. A token-authenticated user carries the grants of the token. */
export type Identity =
  | { kind: 'anonymous'; grants?: readonly Access[] }
  | {
      kind: 'user';
      name: string;
      grants?: readonly Access[];
      /** For a token identity: when the token was issued (Unix seconds). */
      issuedAt?: number;
    };

/** The anonymous identity without a token. */
export const ANONYMOUS: Identity = { kind: 'anonymous' };

/** Decides whether an identity may perform an access. Evaluated per request and per token. */
export interface AccessPolicy {
  allows(identity: Identity, access: Access): boolean | Promise<boolean>;
}

/** Options of the default policy. */
export interface DefaultPolicyOptions {
  /** Anonymous clients may pull every repository. */
  anonymousPull: boolean;
  /** Anonymous clients may do anything (auth mode `none`). */
  anonymousAll?: boolean;
}

/** Logged-in users may do everything; anonymous clients what the options say. */
export function createDefaultPolicy(options: DefaultPolicyOptions): AccessPolicy {
  return {
    allows(identity, access) {
      if (identity.kind === 'user' || options.anonymousAll) return true;
      return options.anonymousPull && access.type === 'repository' && access.action === 'pull';
    },
  };
}

/** The outcome of {@link authorize}. */
export type Decision = 'allow' | 'unauthenticated' | 'insufficient_scope' | 'denied';

/**
 * The single authorization decision: every access a route needs must be
 * allowed by the policy and, for token identities, granted by the token.
 * An anonymous client is asked to log in; a token lacking a scope is asked to
 * fetch a wider one (Docker's `insufficient_scope`); anyone else is denied.
 */
export async function authorize(
  identity: Identity,
  needed: readonly Access[],
  policy: AccessPolicy,
): Promise<Decision> {
  let missingGrant = false;
  for (const access of needed) {
    const granted = identity.grants === undefined || identity.grants.some((g) => covers(g, access));
    if (!granted) missingGrant = true;
    if (granted && (await policy.allows(identity, access))) continue;
    if (identity.kind === 'anonymous') return 'unauthenticated';
    return missingGrant ? 'insufficient_scope' : 'denied';
  }
  return 'allow';
}

/** Whether a granted access includes a needed one (`*` covers every action). */
export function covers(granted: Access, needed: Access): boolean {
  return (
    granted.type === needed.type &&
    granted.name === needed.name &&
    (granted.action === needed.action || granted.action === '*')
  );
}

/** Parses one `scope` of the token spec: `repository:name:pull,push`. Unknown actions are dropped. */
export function parseScope(scope: string): Access[] {
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (first < 0 || last === first) return [];
  const type = scope.slice(0, first);
  if (type !== 'repository' && type !== 'registry') return [];
  const name = scope.slice(first + 1, last);
  return scope
    .slice(last + 1)
    .split(',')
    .filter((action): action is Action => ['pull', 'push', 'delete', '*'].includes(action))
    .map((action) => ({ type, name, action }));
}

/** Formats accesses as space-separated scopes, actions of one resource merged. */
export function formatScopes(accesses: readonly Access[]): string {
  const byResource = new Map<string, Set<Action>>();
  for (const access of accesses) {
    const key = `${access.type}:${access.name}`;
    const actions = byResource.get(key) ?? new Set<Action>();
    actions.add(access.action);
    byResource.set(key, actions);
  }
  return [...byResource].map(([resource, actions]) => `${resource}:${[...actions].join(',')}`).join(' ');
}
