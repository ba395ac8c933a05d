/**
 * WWW-Authenticate challenges (RFC 7235), as registries send them on 401:
 * `Bearer realm="https://auth.example/token",service="registry",scope="repository:a/b:pull"`
 * or `Basic realm="Registry Realm"`.
 */

/** One challenge: its scheme (lower case) and parameters. */
export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** Parses every challenge of a WWW-Authenticate header (or headers). */
export function parseChallenges(header: string | string[] | undefined): Challenge[] {
  const values = header === undefined ? [] : Array.isArray(header) ? header : [header];
  const challenges: Challenge[] = [];
  for (const value of values) {
    let rest = value.trim();
    while (rest.length > 0) {
      const scheme = /^([A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]*)\s*/.exec(rest);
      if (!scheme) break;
      rest = rest.slice(scheme[0].length);
      const params: Record<string, string> = {};
      for (;;) {
        const param = /^([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*,?\s*/.exec(rest);
        if (!param) break;
        params[param[1]!.toLowerCase()] =
          param[2] !== undefined ? param[2].replace(/\\(.)/g, '$1') : param[3]!;
        rest = rest.slice(param[0].length);
      }
      challenges.push({ scheme: scheme[1]!.toLowerCase(), params });
      rest = rest.replace(/^[\s,]+/, '');
    }
  }
  return challenges;
}
