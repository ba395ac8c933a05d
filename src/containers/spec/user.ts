import { invalidArgument } from '../../core/errors.js';
import type { OciUser } from './oci.js';

/** One /etc/passwd entry. */
interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
}

/** One /etc/group entry. */
interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

/** IDs above this are invalid (runc's libcontainer/user maxID). */
const MAX_ID = 2 ** 31 - 1;

/** Parses /etc/passwd text; malformed lines are skipped, as libc does. */
export function parsePasswd(text: string): PasswdEntry[] {
  return splitRecords(text).flatMap(([name, , uid, gid]) => {
    const entry = { name: name ?? '', uid: Number(uid), gid: Number(gid) };
    return Number.isInteger(entry.uid) && Number.isInteger(entry.gid) ? [entry] : [];
  });
}

/** Parses /etc/group text; malformed lines are skipped. */
export function parseGroup(text: string): GroupEntry[] {
  return splitRecords(text).flatMap(([name, , gid, members]) => {
    const entry = { name: name ?? '', gid: Number(gid), members: (members ?? '').split(',').filter(Boolean) };
    return Number.isInteger(entry.gid) ? [entry] : [];
  });
}

function splitRecords(text: string): string[][] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => line.split(':'));
}

const numeric = (value: string): number | undefined => {
  if (!/^\d+$/.test(value)) return undefined;
  const id = Number(value);
  if (id > MAX_ID) throw invalidArgument(`user and group IDs must be at most ${MAX_ID}: ${value}`);
  return id;
};

/**
 * Resolves `-u name|uid[:group|gid]` and `--group-add` against the rootfs's
 * passwd and group files the way runc's `GetExecUserPath` and dockerd's
 * `getUser` do:
 *
 * - no user means root (uid 0); a name must exist in passwd, a number need not;
 * - the gid is the passwd entry's unless a group is given; a group name must
 *   exist in /etc/group, a number need not;
 * - without an explicit group, the groups that list the user as a member are
 *   added as supplementary groups;
 * - additional gids start with the primary gid, then those, then `groupAdd`
 *   (names must exist; numbers are taken as they are).
 */
export function resolveUser(
  spec: string,
  groupAdd: readonly string[],
  passwd: string,
  group: string,
): OciUser {
  const [userPart = '', groupPart = ''] = spec.split(':', 2);
  const users = parsePasswd(passwd);
  const groups = parseGroup(group);
  const uidArg = numeric(userPart);
  const match = users.find((u) =>
    userPart === '' ? u.uid === 0 : uidArg !== undefined ? u.uid === uidArg : u.name === userPart,
  );
  if (!match && userPart !== '' && uidArg === undefined) {
    throw invalidArgument(`unable to find user ${userPart}: no matching entries in passwd file`);
  }
  const uid = match?.uid ?? uidArg ?? 0;
  let gid = match?.gid ?? 0;
  let supplementary: number[] = [];
  if (groupPart !== '') {
    gid = explicitGroup(groupPart, groups);
  } else if (match) {
    supplementary = groups.filter((g) => g.members.includes(match.name)).map((g) => g.gid);
  }
  const added = groupAdd.map((name) => additionalGroup(name, groups));
  return { uid, gid, additionalGids: unique([gid, ...supplementary, ...added]) };
}

function explicitGroup(groupPart: string, groups: GroupEntry[]): number {
  const gidArg = numeric(groupPart);
  const match = groups.find((g) => (gidArg !== undefined ? g.gid === gidArg : g.name === groupPart));
  if (match) return match.gid;
  if (gidArg === undefined)
    throw invalidArgument(`unable to find group ${groupPart}: no matching entries in group file`);
  return gidArg;
}

function additionalGroup(name: string, groups: GroupEntry[]): number {
  const match = groups.find((g) => g.name === name || String(g.gid) === name);
  if (match) return match.gid;
  const gid = numeric(name);
  if (gid === undefined) throw invalidArgument(`unable to find group ${name}`);
  return gid;
}

const unique = (ids: number[]): number[] => [...new Set(ids)];
