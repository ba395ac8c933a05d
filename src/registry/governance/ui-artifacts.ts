import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { Digest } from '../../core/digest.js';
import { parseRegistryDigest } from '../names.js';
import type { Registry } from '../service/registry.js';
import {
  esc,
  formatBytes,
  PAGE_SIZE,
  pageOf,
  pager,
  repositoryPath,
  searchBox,
  time,
  type UiContext,
  url,
} from './ui-kit.js';

/** Config blobs larger than this are not read for the history (a config is a few KiB). */
const CONFIG_MAX_BYTES = 1024 * 1024;

interface Descriptor {
  mediaType?: string;
  digest?: string;
  size?: number;
  artifactType?: string;
  annotations?: Record<string, string>;
  platform?: { os?: string; architecture?: string; variant?: string };
}
interface ManifestJson {
  mediaType?: string;
  artifactType?: string;
  config?: Descriptor;
  layers?: Descriptor[];
  manifests?: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}
interface ConfigJson {
  os?: string;
  architecture?: string;
  created?: string;
  config?: { Entrypoint?: string[]; Cmd?: string[]; Labels?: Record<string, string> };
  history?: { created?: string; created_by?: string; comment?: string; empty_layer?: boolean }[];
}

const parseJson = <T>(bytes: Buffer): T | undefined => {
  try {
    const value = JSON.parse(bytes.toString('utf8')) as unknown;
    return typeof value === 'object' && value !== null ? (value as T) : undefined;
  } catch {
    return undefined;
  }
};

/** The whole of a small blob, or undefined when it is missing or too large to show. */
async function readSmallBlob(
  registry: Registry,
  repository: string,
  digest: Digest,
): Promise<Buffer | undefined> {
  try {
    const blob = await registry.repository(repository).blobs.open(digest);
    if (blob.size > CONFIG_MAX_BYTES) {
      await blob.content.close();
      return undefined;
    }
    const chunks: Buffer[] = [];
    await blob.content.writeTo(
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          chunks.push(chunk);
          done();
        },
      }),
    );
    return Buffer.concat(chunks);
  } catch {
    return undefined;
  }
}

const annotationList = (annotations: Record<string, string> | undefined) =>
  annotations && Object.keys(annotations).length > 0
    ? `<dl>${Object.entries(annotations)
        .slice(0, 100)
        .map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`)
        .join('')}</dl>`
    : '';

/**
 * Artifact detail (tags with push and pull times, size, platforms of an
 * index, layers, the config's history, referrers through the OCI referrers
 * API) and search across every repository the caller may pull from.
 */
export function artifactPages(app: FastifyInstance, ui: UiContext, registry: Registry): void {
  const { principalOf, page, refuse, visibleProject, queries } = ui;

  app.get<{ Params: { project: string; repository: string; digest: string } }>(
    '/ui/projects/:project/repositories/:repository/artifacts/:digest',
    async (request, reply) => {
      const who = await principalOf(request);
      const project = await visibleProject(who, request.params.project);
      if (!project) return refuse(reply, who, 'No such project, or you may not see it.');
      const name = `${project.name}/${request.params.repository}`;
      const missing = () =>
        page(
          reply,
          who,
          'No such artifact',
          `<p class="error">${esc(name)} has no artifact ${esc(request.params.digest)}.</p>`,
          404,
        );
      let digest: Digest;
      try {
        digest = parseRegistryDigest(request.params.digest);
      } catch {
        return missing();
      }
      const facts = await queries.artifact(name, digest);
      if (!facts) return missing();
      const repository = registry.repository(name);
      const stored = await repository.manifests.get({ digest }, ['*/*']).catch(() => undefined);
      if (!stored) return missing();
      const manifest = parseJson<ManifestJson>(stored.content) ?? {};
      const here = `${repositoryPath(name)}/artifacts`;
      const sections: string[] = [];

      const blobs = [...(manifest.config ? [manifest.config] : []), ...(manifest.layers ?? [])];
      const size = stored.content.length + blobs.reduce((sum, b) => sum + (Number(b.size) || 0), 0);
      const tags = facts.tags
        .map(
          (t) =>
            `<tr><td>${esc(t.tag)}</td><td>${time(t.pushedAt)}</td><td>${t.pulledAt ? time(t.pulledAt) : 'never'}</td>
<td><code>docker pull ${esc(request.host)}/${esc(name)}:${esc(t.tag)}</code></td></tr>`,
        )
        .join('');
      sections.push(`<dl><dt>Repository</dt><dd><a href="${repositoryPath(name)}">${esc(name)}</a></dd>
<dt>Digest</dt><dd><code>${esc(digest)}</code></dd><dt>Media type</dt><dd>${esc(stored.mediaType)}</dd>
${manifest.artifactType ? `<dt>Artifact type</dt><dd>${esc(manifest.artifactType)}</dd>` : ''}
<dt>Size</dt><dd>${formatBytes(size)}${manifest.manifests ? ' (the index itself)' : ''}</dd><dt>Pushed</dt><dd>${time(facts.pushedAt)}</dd>
${manifest.subject?.digest ? `<dt>Refers to</dt><dd><a href="${here}/${url(manifest.subject.digest)}"><code>${esc(manifest.subject.digest)}</code></a></dd>` : ''}
<dt>Pull</dt><dd><code>docker pull ${esc(request.host)}/${esc(name)}@${esc(digest)}</code></dd></dl>`);
      sections.push(
        `<h2>Tags</h2>${tags ? `<table><tr><th>Tag</th><th>Pushed</th><th>Last pulled</th><th>Pull</th></tr>${tags}</table>` : '<p>No tags.</p>'}`,
      );
      if (manifest.annotations) sections.push(`<h2>Annotations</h2>${annotationList(manifest.annotations)}`);

      if (manifest.manifests) {
        const rows = manifest.manifests
          .slice(0, 500)
          .map((m) => {
            const platform = m.platform
              ? [m.platform.os, m.platform.architecture, m.platform.variant].filter(Boolean).join('/')
              : (m.artifactType ?? m.annotations?.['vnd.docker.reference.type'] ?? '');
            return `<tr><td>${esc(platform)}</td><td><a href="${here}/${url(String(m.digest))}"><code>${esc(m.digest)}</code></a></td>
<td>${esc(m.mediaType)}</td><td>${formatBytes(Number(m.size) || 0)}</td></tr>`;
          })
          .join('');
        sections.push(
          `<h2>Platforms</h2><table><tr><th>Platform</th><th>Manifest</th><th>Type</th><th>Size</th></tr>${rows}</table>`,
        );
      }
      if (manifest.layers) {
        const rows = manifest.layers
          .slice(0, 500)
          .map(
            (l, i) =>
              `<tr><td>${i + 1}</td><td><code>${esc(l.digest)}</code></td><td>${esc(l.mediaType)}</td><td>${formatBytes(Number(l.size) || 0)}</td></tr>`,
          )
          .join('');
        sections.push(
          `<h2>Layers</h2><table><tr><th>#</th><th>Digest</th><th>Type</th><th>Size</th></tr>${rows}</table>`,
        );
      }
      if (manifest.config?.digest) {
        let configDigest: Digest | undefined;
        try {
          configDigest = parseRegistryDigest(manifest.config.digest);
        } catch {
          configDigest = undefined;
        }
        const bytes = configDigest && (await readSmallBlob(registry, name, configDigest));
        const config = bytes ? parseJson<ConfigJson>(bytes) : undefined;
        const facts = config
          ? `<dl>${config.os ? `<dt>Platform</dt><dd>${esc([config.os, config.architecture].filter(Boolean).join('/'))}</dd>` : ''}
${config.created ? `<dt>Created</dt><dd>${esc(config.created)}</dd>` : ''}
${config.config?.Entrypoint ? `<dt>Entrypoint</dt><dd><code>${esc(JSON.stringify(config.config.Entrypoint))}</code></dd>` : ''}
${config.config?.Cmd ? `<dt>Command</dt><dd><code>${esc(JSON.stringify(config.config.Cmd))}</code></dd>` : ''}</dl>`
          : '';
        const history = (config?.history ?? [])
          .slice(0, 500)
          .map(
            (h) =>
              `<tr><td>${esc(h.created)}</td><td><code>${esc(h.created_by)}</code>${h.comment ? `<br>${esc(h.comment)}` : ''}</td><td>${h.empty_layer ? '' : 'layer'}</td></tr>`,
          )
          .join('');
        sections.push(
          `<h2>Config</h2><p><code>${esc(manifest.config.digest)}</code> (${esc(manifest.config.mediaType)}, ${formatBytes(Number(manifest.config.size) || 0)})</p>${facts}
${config?.config?.Labels ? `<h3>Labels</h3>${annotationList(config.config.Labels)}` : ''}
${history ? `<h3>History</h3><table><tr><th>Created</th><th>Step</th><th></th></tr>${history}</table>` : ''}`,
        );
      }

      // Signatures, SBOMs and attestations attached with `subject` (OCI 1.1 referrers API).
      const referrers = await repository
        .referrers(digest)
        .then((r) => parseJson<{ manifests?: Descriptor[] }>(r.index)?.manifests ?? [])
        .catch(() => []);
      const referrerRows = referrers
        .slice(0, 500)
        .map(
          (r) =>
            `<tr><td>${esc(r.artifactType ?? r.mediaType)}</td><td><a href="${here}/${url(String(r.digest))}"><code>${esc(r.digest)}</code></a></td>
<td>${formatBytes(Number(r.size) || 0)}</td><td>${esc(
              Object.entries(r.annotations ?? {})
                .map(([k, v]) => `${k}=${v}`)
                .join(' '),
            )}</td></tr>`,
        )
        .join('');
      sections.push(
        `<h2>Referrers</h2>${referrerRows ? `<table><tr><th>Type</th><th>Digest</th><th>Size</th><th>Annotations</th></tr>${referrerRows}</table>` : '<p>None (signatures, SBOMs and attestations pushed with a subject show here).</p>'}`,
      );
      return page(reply, who, `${name}@${digest.slice(0, 19)}…`, sections.join('\n'));
    },
  );

  app.get<{ Querystring: Record<string, string | undefined> }>('/ui/search', async (request, reply) => {
    const who = await principalOf(request);
    const q = request.query;
    const search = (q['q'] ?? '').trim().slice(0, 200);
    const box = searchBox(search, 'part of a repository name', '/ui/search');
    if (!search)
      return page(
        reply,
        who,
        'Search',
        `${box}<p>Search repositories of every project you may pull from.</p>`,
      );
    const at = pageOf(q);
    const { total, rows } = await queries.search(await ui.visibility(who), search, PAGE_SIZE, at.offset);
    const list = rows
      .map(
        (r) =>
          `<tr><td><a href="${repositoryPath(r.name)}">${esc(r.name)}</a></td><td>${r.artifacts}</td><td>${r.tags}</td><td>${time(r.pushedAt)}</td></tr>`,
      )
      .join('');
    return page(
      reply,
      who,
      'Search',
      `${box}<p>${total} ${total === 1 ? 'repository matches' : 'repositories match'} “${esc(search)}”.</p>
<table><tr><th>Repository</th><th>Artifacts</th><th>Tags</th><th>Last push</th></tr>${list}</table>${pager(q, at.number, total)}`,
    );
  });
}
