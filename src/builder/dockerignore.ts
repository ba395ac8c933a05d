/**
 * `.dockerignore`, with Docker's rules (moby/patternmatcher): one pattern a
 * line, `#` comments, blanks ignored; patterns are cleaned like Go's
 * filepath.Clean and a leading `/` dropped; `*` matches within one path
 * segment, `?` one character, `[…]` a class, `**` any number of segments;
 * `!` makes an exception. The last pattern that matches a path decides, and
 * a pattern that matches a directory also matches everything under it.
 */
import { posix } from 'node:path';

interface Pattern {
  exclusion: boolean;
  regex: RegExp;
  /** The cleaned pattern text, for diagnostics. */
  text: string;
}

/** Parses `.dockerignore` text into its patterns (comments and blanks dropped). */
export function readDockerignore(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

export class PatternMatcher {
  private readonly patterns: Pattern[];
  /** Whether any `!` pattern exists: then excluded directories must still be walked. */
  readonly hasExceptions: boolean;

  constructor(lines: readonly string[]) {
    this.patterns = [];
    for (const line of lines) {
      let text = line.trim();
      if (text === '') continue;
      const exclusion = text.startsWith('!');
      if (exclusion) text = text.slice(1).trim();
      if (text === '') throw new Error('illegal exclusion pattern: "!"');
      text = posix.normalize(text);
      if (text.startsWith('/')) text = text.slice(1) || '.';
      if (text.endsWith('/') && text.length > 1) text = text.slice(0, -1);
      this.patterns.push({ exclusion, regex: compile(text), text });
    }
    this.hasExceptions = this.patterns.some((p) => p.exclusion);
  }

  /** Whether `path` (relative, `/`-separated) is excluded from the context. */
  excludes(path: string): boolean {
    const file = posix.normalize(path).replace(/^\/+/, '');
    const parents = parentPaths(file);
    let matched = false;
    for (const pattern of this.patterns) {
      // Only a pattern that could flip the state is worth testing.
      if (pattern.exclusion !== matched) continue;
      const hit = pattern.regex.test(file) || parents.some((parent) => pattern.regex.test(parent));
      if (hit) matched = !pattern.exclusion;
    }
    return matched;
  }
}

/** `a/b/c` → `a`, `a/b`. */
function parentPaths(path: string): string[] {
  const parts = path.split('/');
  return parts.slice(0, -1).map((_, i) => parts.slice(0, i + 1).join('/'));
}

const SPECIAL = new Set(['.', '+', '(', ')', '|', '{', '}', '$', '^']);

/** A pattern as a regular expression over the whole path, as patternmatcher compiles it. */
function compile(pattern: string): RegExp {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '*') {
      if (pattern[i + 1] === '*') {
        i++;
        if (pattern[i + 1] === '/') i++;
        re += i + 1 >= pattern.length ? '.*' : '(.*/)?';
      } else re += '[^/]*';
    } else if (ch === '?') re += '[^/]';
    else if (ch === '\\') {
      i++;
      if (i < pattern.length) re += `\\${pattern[i]}`;
    } else if (ch === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) throw new Error(`syntax error in pattern: ${pattern}`);
      let cls = pattern.slice(i + 1, end);
      if (cls.startsWith('!')) cls = `^${cls.slice(1)}`;
      re += `[${cls.replace(/\\/g, '\\\\')}]`;
      i = end;
    } else if (SPECIAL.has(ch)) re += `\\${ch}`;
    else re += ch;
  }
  return new RegExp(`${re}$`);
}
