/**
 * The registry client behind the Engine API's pull, push, auth and
 * distribution routes. It reads the daemon's registry settings anew for
 * every operation (a SIGHUP reload applies to the next pull) and shares
 * tokens and connections between operations.
 */
import type { Platform } from '../core/descriptor.js';
import { isIndexMediaType } from '../core/descriptor.js';
import { type Digest, parseDigest } from '../core/digest.js';
import { invalidArgument } from '../core/errors.js';
import { parseImageConfig } from '../images/config.js';
import { parseIndex, parseManifest } from '../images/manifest.js';
import { normalizePlatform } from '../images/platform.js';
import { parseNormalizedNamed, type Reference, withTag } from '../images/reference.js';
import type { ImageService } from '../images/service.js';
import type { AuthConfig } from './auth-config.js';
import { RegistryConnector } from './connect.js';
import { RegistryHosts, type RegistrySettings } from './endpoints.js';
import { type LoginResult, login } from './login.js';
import type { ProgressSink } from './progress.js';
import { Puller } from './pull.js';
import { Pusher } from './push.js';
import { createSessionShared } from './session.js';
import { TokenCache } from './tokens.js';
import { readBody } from './transport.js';

/** Registry settings plus the transfer limits (max-concurrent-downloads/uploads). */
export interface DistributionSettings extends RegistrySettings {
  maxConcurrentDownloads: number;
  maxConcurrentUploads: number;
}

/** What a pull is asked for, as POST /images/create carries it. */
export interface PullOptions {
  /** `busybox`, `busybox:1.36`, `host:5000/a/b@sha256:…`. */
  fromImage: string;
  /** A tag or digest that overrides the one in fromImage. */
  tag?: string;
  /** `os/arch[/variant]`. */
  platform?: string;
  auth: AuthConfig;
  report: ProgressSink;
  signal?: AbortSignal;
}

/** What a push is asked for, as POST /images/{name}/push carries it. */
export interface PushOptions {
  name: string;
  tag?: string;
  auth: AuthConfig;
  report: ProgressSink;
  signal?: AbortSignal;
}

/** GET /distribution/{name}/json. */
export interface DistributionInspect {
  Descriptor: { mediaType: string; digest: Digest; size: number };
  Platforms: Platform[];
}

/** Pull, push, login and registry inspection for the engine. */
export class DistributionService {
  private readonly connector: RegistryConnector;
  private readonly puller: Puller;
  private readonly pusher: Pusher;

  constructor(
    private readonly images: ImageService,
    private readonly settings: () => DistributionSettings,
  ) {
    const shared = createSessionShared(new TokenCache());
    this.connector = new RegistryConnector(new RegistryHosts(settings), shared);
    this.puller = new Puller(images.storeAccess(), this.connector);
    this.pusher = new Pusher(images.storeAccess(), this.connector);
  }

  /** `docker pull`: one tag or digest, or every tag when the name has neither. */
  async pull(options: PullOptions): Promise<void> {
    const ref = pullReference(options.fromImage, options.tag);
    const platform = options.platform ? parsePlatformText(options.platform) : undefined;
    const base = {
      auth: options.auth,
      maxConcurrentDownloads: this.settings().maxConcurrentDownloads,
      report: options.report,
      ...(platform ? { platform, platformText: options.platform! } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    };
    try {
      if (ref.tag !== undefined || ref.digest !== undefined) {
        await this.puller.pull({ ...base, ref });
        return;
      }
      const { value: tags } = await this.connector.open(
        { registry: ref.domain, path: ref.path },
        options.auth,
        { forPull: true, actions: 'pull' },
        (repo) => repo.listTags(options.signal),
      );
      for (const tag of tags) await this.puller.pull({ ...base, ref: withTag(ref, tag) });
    } catch (err) {
      this.images.collectInBackground();
      throw err;
    }
  }

  /** `docker push`. */
  push(options: PushOptions): Promise<void> {
    let ref = parseNormalizedNamed(options.name);
    if (options.tag) ref = withTag(ref, options.tag);
    return this.pusher.push({
      ref,
      auth: options.auth,
      maxConcurrentUploads: this.settings().maxConcurrentUploads,
      report: options.report,
      ...(options.signal ? { signal: options.signal } : {}),
    });
  }

  /** POST /auth. */
  login(auth: AuthConfig, signal?: AbortSignal): Promise<LoginResult> {
    if (!auth.username && !auth.identitytoken && !auth.registrytoken) {
      throw invalidArgument('Username is required');
    }
    return login(this.connector, auth, signal);
  }

  /** GET /distribution/{name}/json: the registry's descriptor and platforms for a name. */
  async inspect(name: string, auth: AuthConfig, signal?: AbortSignal): Promise<DistributionInspect> {
    let ref = parseNormalizedNamed(name);
    if (ref.tag === undefined && ref.digest === undefined) ref = withTag(ref, 'latest');
    const reference = ref.digest ?? ref.tag!;
    const { repo, value: top } = await this.connector.open(
      { registry: ref.domain, path: ref.path },
      auth,
      { forPull: true, actions: 'pull' },
      (repo) => repo.getManifest(reference, signal),
    );
    const Descriptor = { mediaType: top.mediaType, digest: top.digest, size: top.bytes.length };
    if (isIndexMediaType(top.mediaType)) {
      const platforms = parseIndex(top.bytes).manifests.flatMap((m) => (m.platform ? [m.platform] : []));
      return { Descriptor, Platforms: platforms };
    }
    const manifest = parseManifest(top.bytes);
    const res = await repo.openBlob(manifest.config.digest, 0, signal);
    const config = parseImageConfig(await readBody(res));
    const platform: Platform = { architecture: config.architecture ?? '', os: config.os ?? '' };
    if (config.variant) platform.variant = config.variant;
    return { Descriptor, Platforms: [platform] };
  }
}

/** fromImage and tag as dockerd combines them (a tag that is a digest pins the pull). */
export function pullReference(fromImage: string, tag: string | undefined): Reference {
  let ref = parseNormalizedNamed(fromImage);
  if (tag) {
    if (tag.startsWith('sha256:')) ref = { domain: ref.domain, path: ref.path, digest: parseDigest(tag) };
    else ref = withTag(ref, tag);
  }
  return ref;
}

function parsePlatformText(text: string): Platform {
  const [os = '', architecture = '', variant] = text.split('/');
  if (!os || !architecture) throw invalidArgument(`invalid platform "${text}": expected os/arch[/variant]`);
  return normalizePlatform({ os, architecture, ...(variant ? { variant } : {}) });
}
