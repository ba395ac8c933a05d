// Repository names contain slashes, which a router's `:name` parameter cannot
// span. Distribution anchors its routes at the end of the path; so do we: the
// first matching suffix wins and everything before it is the name, which we
// encode into one path segment so Fastify's router sees `/v2/:name/...`.
const SUFFIXES: readonly RegExp[] = [
  /^\/v2\/(.+)(\/blobs\/uploads\/?)$/,
  /^\/v2\/(.+)(\/blobs\/uploads\/[^/]+)$/,
  /^\/v2\/(.+)(\/blobs\/[^/]+)$/,
  /^\/v2\/(.+)(\/manifests\/[^/]+)$/,
  /^\/v2\/(.+)(\/tags\/list\/?)$/,
  /^\/v2\/(.+)(\/referrers\/[^/]+)$/,
];

/**
 * Rewrites `/v2/a/b/c/blobs/…?q` to `/v2/a%2Fb%2Fc/blobs/…?q`. Paths that are
 * not repository routes, and names without slashes, come back unchanged.
 */
export function rewriteRegistryUrl(url: string): string {
  const queryStart = url.indexOf('?');
  const path = queryStart < 0 ? url : url.slice(0, queryStart);
  const query = queryStart < 0 ? '' : url.slice(queryStart);
  if (!path.startsWith('/v2/')) return url;
  for (const suffix of SUFFIXES) {
    const match = suffix.exec(path);
    if (match?.[1] && match[2]) return `/v2/${match[1].replaceAll('/', '%2F')}${match[2]}${query}`;
  }
  return url;
}
