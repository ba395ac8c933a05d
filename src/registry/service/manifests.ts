import { DockerMediaType, OciMediaType } from '../../core/descriptor.js';
import { type Digest, sha256Of } from '../../core/digest.js';
import { registryError } from '../errors.js';
import type { StoredManifest } from '../metadata/store.js';
import type { Reference } from '../names.js';
import type { RegistryContext } from './context.js';
import { parseManifest } from './manifest-parse.js';

/** The result of a manifest PUT. */
export interface PutManifestResult {
  digest: Digest;
  subject?: Digest;
}

/** Manifests and tags of one repository. */
export interface RepositoryManifests {
  /**
   * The manifest a reference names, negotiated against the client's Accept
   * list (empty: anything). MANIFEST_UNKNOWN when absent or unacceptable.
   */
  get(reference: Reference, accept: readonly string[]): Promise<StoredManifest>;
  /** Validates and stores a manifest, tagging it when the reference is a tag. */
  put(reference: Reference, content: Buffer, contentType: string | undefined): Promise<PutManifestResult>;
  /** Deletes a manifest (by digest, with its tags) or only a tag. */
  delete(reference: Reference): Promise<void>;
}

/** Manifests of `repository`. */
export function createRepositoryManifests(context: RegistryContext, repository: string): RepositoryManifests {
  const { metadata } = context;
  const resolve = async (reference: Reference): Promise<StoredManifest> => {
    const digest = reference.digest ?? (await metadata.resolveTag(repository, reference.tag));
    const manifest = digest && (await metadata.findManifest(repository, digest));
    if (!manifest) throw registryError('MANIFEST_UNKNOWN', { detail: reference });
    return manifest;
  };
  return {
    async get(reference, accept) {
      const manifest = await resolve(reference);
      if (isAcceptable(manifest.mediaType, accept)) return manifest;
      const fallback = await platformFallback(manifest, accept, (digest) => resolve({ digest }));
      if (fallback) return fallback;
      throw registryError('MANIFEST_UNKNOWN', {
        message: `manifest of type ${manifest.mediaType} found, but the Accept header does not allow it`,
        detail: { mediaType: manifest.mediaType },
      });
    },
    async put(reference, content, contentType) {
      if (content.byteLength > context.limits.manifestMaxBytes) {
        throw registryError('SIZE_INVALID', {
          message: `manifest larger than ${context.limits.manifestMaxBytes} bytes`,
          tooLarge: true,
        });
      }
      const digest = sha256Of(content);
      if (reference.digest && reference.digest !== digest) {
        throw registryError('DIGEST_INVALID', { detail: { expected: reference.digest, actual: digest } });
      }
      const parsed = parseManifest(content, contentType);
      if (reference.tag) await context.guardTags?.(repository, { kind: 'set', tag: reference.tag, digest });
      await metadata.putManifest({ repository, digest, content, ...parsed }, reference.tag, context.now());
      return { digest, ...(parsed.subject ? { subject: parsed.subject } : {}) };
    },
    async delete(reference) {
      await context.guardTags?.(
        repository,
        reference.digest
          ? { kind: 'remove-manifest', digest: reference.digest }
          : { kind: 'remove', tag: reference.tag },
      );
      const deleted = reference.digest
        ? await metadata.deleteManifest(repository, reference.digest)
        : await metadata.deleteTag(repository, reference.tag);
      if (!deleted) throw registryError('MANIFEST_UNKNOWN', { detail: reference });
    },
  };
}

// Docker schema 2 manifests are served to anyone: old clients list only schema 1
// (which no registry should still produce) and cope with schema 2 in practice.
function isAcceptable(mediaType: string, accept: readonly string[]): boolean {
  if (accept.length === 0 || mediaType === DockerMediaType.manifest) return true;
  return accept.some((type) => type === mediaType || type === '*/*' || type === 'application/*');
}

// A client that cannot read a manifest list gets linux/amd64's manifest, as
// Distribution has always done for Docker manifest lists.
async function platformFallback(
  manifest: StoredManifest,
  accept: readonly string[],
  load: (digest: Digest) => Promise<StoredManifest>,
): Promise<StoredManifest | undefined> {
  if (manifest.mediaType !== DockerMediaType.manifestList) return undefined;
  const list = JSON.parse(manifest.content.toString('utf8')) as {
    manifests?: { digest: Digest; mediaType?: string; platform?: { os?: string; architecture?: string } }[];
  };
  const entry = list.manifests?.find(
    (m) => m.platform?.os === 'linux' && m.platform.architecture === 'amd64',
  );
  if (!entry) return undefined;
  const chosen = await load(entry.digest);
  return isAcceptable(chosen.mediaType, accept) ? chosen : undefined;
}

/** Builds the referrers response: an OCI index of the manifests whose subject is `digest`. */
export async function referrersIndex(
  context: RegistryContext,
  repository: string,
  digest: Digest,
  artifactType: string | undefined,
): Promise<{ index: Buffer; filtered: boolean }> {
  const all = await context.metadata.listReferrers(repository, digest);
  const manifests = artifactType ? all.filter((r) => r.artifactType === artifactType) : all;
  const index = { schemaVersion: 2, mediaType: OciMediaType.index, manifests };
  return { index: Buffer.from(JSON.stringify(index)), filtered: artifactType !== undefined };
}
