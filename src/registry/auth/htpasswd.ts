import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import bcrypt from 'bcryptjs';
import type { Logger } from '../../core/logger.js';

/** Users and their bcrypt hashes, as Apache's `htpasswd -B` writes them. */
export interface UserDirectory {
  /** Whether the password is the user's. Repeated successes are answered from a short cache. */
  verify(user: string, password: string, remoteAddress?: string): Promise<boolean>;
  /** Whether a refresh token issued at `issuedAt` (Unix seconds) still stands for `user`. */
  acceptsRefresh?(user: string, issuedAt: number): boolean | Promise<boolean>;
  /** How many users the file lists (governance users live in the database and have no count here). */
  readonly size?: number;
}

const CACHE_TTL_MS = 5 * 60 * 1000;
const BCRYPT_PREFIX = /^\$2[aby]\$\d\d\$/;

/**
 * Reads an htpasswd file. Only bcrypt entries are accepted (as in
 * Distribution); other lines are skipped with a warning.
 */
export async function loadHtpasswd(path: string, logger: Logger): Promise<UserDirectory> {
  const users = new Map<string, string>();
  for (const [index, raw] of (await readFile(path, 'utf8')).split('\n').entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const colon = line.indexOf(':');
    const hash = line.slice(colon + 1);
    if (colon <= 0 || !BCRYPT_PREFIX.test(hash)) {
      logger.warn('htpasswd: skipping a line that is not a bcrypt entry', { path, line: index + 1 });
      continue;
    }
    users.set(line.slice(0, colon), hash);
  }
  return createUserDirectory(users);
}

/** A directory over `user → bcrypt hash` (tests build one in memory). */
export function createUserDirectory(users: ReadonlyMap<string, string>): UserDirectory {
  // bcrypt costs milliseconds; clients send Basic credentials on every request.
  const verified = new Map<string, number>();
  return {
    size: users.size,
    async verify(user, password) {
      const hash = users.get(user);
      if (!hash) return false;
      const key = createHash('sha256').update(`${user}\0${password}\0${hash}`).digest('hex');
      const until = verified.get(key);
      if (until !== undefined && until > Date.now()) return true;
      if (!(await bcrypt.compare(password, hash))) return false;
      if (verified.size > 10_000) verified.clear();
      verified.set(key, Date.now() + CACHE_TTL_MS);
      return true;
    },
  };
}

/** Hashes a password for an htpasswd line (`user:hash`), bcrypt cost 10. */
export function hashPassword(password: string): Promise<string> {
  return bcrypt.hash(password, 10);
}
