/**
 * Platform choice, after containerd's `platforms` package: which manifest of
 * an index runs here. Architectures use Go's names (amd64, arm64 …), as image
 * indexes do; variants are normalised (arm64 means arm64/v8).
 */
import type { Descriptor, Platform } from '../core/descriptor.js';
import { goArch } from '../core/platform.js';

/** The platform of this host: linux and its architecture (with the variant on arm). */
export function hostPlatform(): Platform {
  const architecture = goArch();
  if (architecture === 'arm64') return { os: 'linux', architecture, variant: 'v8' };
  if (architecture === 'arm') return { os: 'linux', architecture, variant: armVariant() };
  return { os: 'linux', architecture };
}

function armVariant(): string {
  // Node reports the ARM version it was built for; v7 is the common case.
  const version = (process.config.variables as { arm_version?: string }).arm_version;
  return `v${version ?? '7'}`;
}

/** A platform with containerd's normalisation of architecture and variant. */
export function normalizePlatform(platform: Platform): Platform {
  const os = platform.os.toLowerCase();
  let architecture = platform.architecture.toLowerCase();
  let variant = platform.variant?.toLowerCase();
  if (architecture === 'x86_64' || architecture === 'x86-64') architecture = 'amd64';
  if (architecture === 'aarch64') architecture = 'arm64';
  if (architecture === 'armhf') [architecture, variant] = ['arm', 'v7'];
  if (architecture === 'armel') [architecture, variant] = ['arm', 'v6'];
  if (architecture === 'arm64' && (variant === undefined || variant === '8')) variant = 'v8';
  if (architecture === 'arm' && (variant === undefined || variant === '')) variant = 'v7';
  if (architecture === 'arm' && variant !== undefined && /^\d$/.test(variant)) variant = `v${variant}`;
  if (architecture === 'amd64' && variant === 'v1') variant = undefined;
  return { os, architecture, ...(variant ? { variant } : {}) };
}

/**
 * How well `candidate` suits `host`: 0 for an exact match, higher for a
 * compatible but lesser one (an arm/v6 image on an arm/v7 host), undefined
 * when it cannot run there.
 */
export function platformRank(candidate: Platform, host: Platform): number | undefined {
  const c = normalizePlatform(candidate);
  const h = normalizePlatform(host);
  if (c.os !== h.os || c.architecture !== h.architecture) return undefined;
  if (c.variant === h.variant) return 0;
  if (h.architecture === 'arm' && c.variant && h.variant) {
    // An armv7 CPU runs v6 and v5 code, as containerd's matcher allows.
    const wanted = Number(h.variant.slice(1));
    const offered = Number(c.variant.slice(1));
    if (offered < wanted) return wanted - offered;
  }
  return undefined;
}

/**
 * The manifest of an index that best suits `host`: the best rank wins, the
 * first listed among equals. Entries without a platform (attestations and
 * the like) are never chosen.
 */
export function selectPlatformManifest(
  manifests: readonly Descriptor[],
  host: Platform = hostPlatform(),
): Descriptor | undefined {
  let best: { descriptor: Descriptor; rank: number } | undefined;
  for (const descriptor of manifests) {
    if (!descriptor.platform) continue;
    const rank = platformRank(descriptor.platform, host);
    if (rank !== undefined && (best === undefined || rank < best.rank)) best = { descriptor, rank };
  }
  return best?.descriptor;
}

/** `linux/amd64`, `linux/arm/v7`: how Docker prints a platform in messages. */
export function formatPlatform(platform: Platform): string {
  return [platform.os, platform.architecture, platform.variant].filter(Boolean).join('/');
}
