import { execFile } from 'node:child_process';
import { chmod, chown, mkdir, readFile, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { failedPrecondition, invalidArgument } from '../core/errors.js';
import { IdMap, type IdRange } from '../core/id-map.js';

const run = promisify(execFile);

/** The user `userns-remap: "default"` stands for, as in dockerd. */
export const DEFAULT_REMAP_USER = 'dockremap';
/** IDs a created user gets, and where the search for a free range starts (dockerd's values). */
const DEFAULT_RANGE_SIZE = 65536;
const FIRST_SUBORDINATE_ID = 100000;

/** Where the account and subordinate ID files are; tests point them elsewhere. */
export interface AccountFiles {
  passwd: string;
  group: string;
  subuid: string;
  subgid: string;
}

export const SYSTEM_ACCOUNT_FILES: AccountFiles = {
  passwd: '/etc/passwd',
  group: '/etc/group',
  subuid: '/etc/subuid',
  subgid: '/etc/subgid',
};

/** A resolved `userns-remap`: who the containers' root is on the host, and the whole mapping. */
export interface UsernsRemap {
  user: string;
  group: string;
  idMap: IdMap;
}

interface Account {
  name: string;
  id: number;
}

/**
 * Resolves daemon.json's `userns-remap` as dockerd does: `default` (the
 * `dockremap` user, created with subordinate ranges when missing), `user`,
 * `user:group`, `uid:gid`. The ranges of the user in /etc/subuid and of the
 * group in /etc/subgid map container IDs 0, 1, … in file order.
 */
export async function resolveUsernsRemap(
  value: string,
  files: AccountFiles = SYSTEM_ACCOUNT_FILES,
): Promise<UsernsRemap> {
  const [userPart = '', groupPart, extra] = value.split(':');
  if (userPart === '' || extra !== undefined || groupPart === '') {
    throw invalidArgument(
      `userns-remap: invalid value "${value}": expected "user", "user:group" or "default"`,
    );
  }
  const userName = value === 'default' ? DEFAULT_REMAP_USER : userPart;
  if (userName === DEFAULT_REMAP_USER) await ensureDefaultUser(files);
  const user = lookup(await readFile(files.passwd, 'utf8'), userName, 'user', files.passwd);
  const group =
    groupPart === undefined
      ? lookup(await readFile(files.group, 'utf8'), userName, 'group', files.group, true)
      : lookup(await readFile(files.group, 'utf8'), groupPart, 'group', files.group);
  // A user without a group of its own name maps its ranges from /etc/subgid under the user's name, as dockerd does.
  const groupName = group?.name ?? user.name;
  const uids = ranges(await readFileOr(files.subuid), user, files.subuid, 'user');
  const gids = ranges(await readFileOr(files.subgid), group ?? user, files.subgid, 'group');
  return { user: user.name, group: groupName, idMap: new IdMap(uids, gids) };
}

/**
 * The data root of a remapped daemon, `<data-root>/<uid>.<gid>` (dockerd's
 * layout): the parent may be passed through by anyone (0711), the remapped
 * root only by root and the remapped root's group (0710), so a container's
 * root can reach the files bind-mounted from it and nobody else can list it.
 */
export async function prepareRemappedRoot(dataRoot: string, idMap: IdMap): Promise<string> {
  const { uid, gid } = idMap.root;
  await checkPassable(dataRoot, idMap);
  const remapped = join(dataRoot, `${uid}.${gid}`);
  await mkdir(dataRoot, { recursive: true, mode: 0o711 });
  await chmod(dataRoot, 0o711);
  await mkdir(remapped, { recursive: true, mode: 0o710 });
  await chown(remapped, 0, gid);
  await chmod(remapped, 0o710);
  return remapped;
}

/**
 * Fails, as dockerd does, when a directory above `path` keeps the remapped
 * root out: containers would fail to start with a less clear error.
 */
export async function checkPassable(path: string, idMap: IdMap): Promise<void> {
  const { uid, gid } = idMap.root;
  for (let dir = dirname(resolve(path)); dir !== '/'; dir = dirname(dir)) {
    const stats = await stat(dir).catch(() => undefined);
    if (!stats) continue;
    const bit = stats.uid === uid ? 0o100 : stats.gid === gid ? 0o010 : 0o001;
    if ((stats.mode & bit) === 0) {
      throw failedPrecondition(
        `userns-remap: ${dir} (above ${path}) restricts access to the remapped root uid/gid ${uid}:${gid}; allow 'o+x' on it`,
      );
    }
  }
}

async function readFileOr(path: string): Promise<string> {
  return readFile(path, 'utf8').catch(() => '');
}

/** A passwd or group entry by name or numeric ID. */
function lookup(text: string, key: string, kind: 'user', file: string): Account;
function lookup(
  text: string,
  key: string,
  kind: 'group',
  file: string,
  optional?: boolean,
): Account | undefined;
function lookup(
  text: string,
  key: string,
  kind: 'user' | 'group',
  file: string,
  optional = false,
): Account | undefined {
  const numeric = /^\d+$/.test(key);
  for (const line of text.split('\n')) {
    const fields = line.split(':');
    if (fields.length < 3) continue;
    const name = fields[0]!;
    const id = Number(fields[2]);
    if (numeric ? id === Number(key) : name === key) return { name, id };
  }
  if (optional) return undefined;
  throw invalidArgument(`userns-remap: ${kind} "${key}" not found in ${file}`);
}

/** The subordinate ranges of `account` (by name or ID), mapped from container ID 0 up. */
function ranges(text: string, account: Account, file: string, kind: 'user' | 'group'): IdRange[] {
  const found: IdRange[] = [];
  let containerID = 0;
  for (const line of text.split('\n')) {
    const [owner, start, count] = line.trim().split(':');
    if (owner !== account.name && owner !== String(account.id)) continue;
    const hostID = Number(start);
    const size = Number(count);
    if (!Number.isSafeInteger(hostID) || !Number.isSafeInteger(size) || size <= 0) continue;
    found.push({ containerID, hostID, size });
    containerID += size;
  }
  if (found.length === 0) {
    throw failedPrecondition(
      `userns-remap: no subordinate ${kind === 'user' ? 'uid' : 'gid'} ranges found for ${kind} "${account.name}" in ${file}`,
    );
  }
  return found;
}

/**
 * dockerd's `default`: a system user `dockremap` (with its own group) and,
 * when it has none, 65536 subordinate IDs after every range in use. usermod
 * locks and rewrites /etc/subuid and /etc/subgid itself.
 */
async function ensureDefaultUser(files: AccountFiles): Promise<void> {
  const passwd = await readFile(files.passwd, 'utf8');
  if (!passwd.split('\n').some((line) => line.startsWith(`${DEFAULT_REMAP_USER}:`))) {
    await run('useradd', ['-r', '-U', '-M', '-s', '/bin/false', DEFAULT_REMAP_USER]);
  }
  const [subuid, subgid] = await Promise.all([readFileOr(files.subuid), readFileOr(files.subgid)]);
  const has = (text: string) => text.split('\n').some((line) => line.startsWith(`${DEFAULT_REMAP_USER}:`));
  if (has(subuid) && has(subgid)) return;
  const start = nextFreeStart([subuid, subgid]);
  const span = `${start}-${start + DEFAULT_RANGE_SIZE - 1}`;
  const args = [
    ...(has(subuid) ? [] : ['--add-subuids', span]),
    ...(has(subgid) ? [] : ['--add-subgids', span]),
    DEFAULT_REMAP_USER,
  ];
  await run('usermod', args);
}

/**
 * Where a new range of {@link DEFAULT_RANGE_SIZE} IDs fits: the first gap at
 * or after {@link FIRST_SUBORDINATE_ID} that no range in the files overlaps,
 * as dockerd's search does.
 */
export function nextFreeStart(texts: readonly string[]): number {
  const used: { start: number; end: number }[] = [];
  for (const text of texts) {
    for (const line of text.split('\n')) {
      const [, start, count] = line.trim().split(':');
      const from = Number(start);
      const size = Number(count);
      if (Number.isSafeInteger(from) && Number.isSafeInteger(size) && size > 0) {
        used.push({ start: from, end: from + size });
      }
    }
  }
  used.sort((a, b) => a.start - b.start);
  let candidate = FIRST_SUBORDINATE_ID;
  for (const range of used) {
    if (candidate + DEFAULT_RANGE_SIZE <= range.start) break;
    candidate = Math.max(candidate, range.end);
  }
  return candidate;
}
