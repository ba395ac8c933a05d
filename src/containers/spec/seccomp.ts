import { invalidArgument } from '../../core/errors.js';
import type { OciSeccomp, OciSeccompRule } from './oci.js';
import type { SeccompChoice } from './request.js';
import {
  DEFAULT_SECCOMP_PROFILE,
  type SeccompProfileTemplate,
  type SeccompRuleTemplate,
} from './seccomp-profile.js';

/** What a profile is resolved against. */
export interface SeccompContext {
  /** The container's capabilities ("CAP_…"). */
  capabilities: readonly string[];
  /** Native architecture, Go style: amd64, arm64, … (core/platform goArch). */
  arch: string;
  /** Kernel release, e.g. "6.1.0-13-amd64". */
  kernel: string;
}

/**
 * The OCI `linux.seccomp` for a container, or undefined for none
 * (unconfined, or privileged: Docker applies no filter to privileged
 * containers). A custom profile uses Docker's format and is resolved the
 * same way as the default.
 */
export function resolveSeccomp(
  choice: SeccompChoice,
  privileged: boolean,
  context: SeccompContext,
): OciSeccomp | undefined {
  if (privileged || choice === 'unconfined') return undefined;
  const template = choice === 'default' ? DEFAULT_SECCOMP_PROFILE : parseDockerProfile(choice.json);
  return resolveTemplate(template, context);
}

function resolveTemplate(template: SeccompProfileTemplate, context: SeccompContext): OciSeccomp {
  const syscalls: OciSeccompRule[] = template.rules
    .filter((rule) => ruleApplies(rule, context))
    .map(({ names, action, errnoRet, args }) => ({
      names,
      action,
      ...(errnoRet !== undefined ? { errnoRet } : {}),
      ...(args ? { args } : {}),
    }));
  const architectures = template.architectures[context.arch];
  return {
    defaultAction: template.defaultAction,
    ...(template.defaultErrnoRet !== undefined ? { defaultErrnoRet: template.defaultErrnoRet } : {}),
    ...(architectures ? { architectures } : {}),
    syscalls,
  };
}

function ruleApplies(rule: SeccompRuleTemplate, context: SeccompContext): boolean {
  const { includes = {}, excludes = {} } = rule;
  const hasCap = (caps: string[]) => caps.some((cap) => context.capabilities.includes(cap));
  if (includes.arches && !includes.arches.includes(context.arch)) return false;
  if (includes.caps && !hasCap(includes.caps)) return false;
  if (includes.minKernel && compareKernel(context.kernel, includes.minKernel) < 0) return false;
  if (excludes.arches?.includes(context.arch)) return false;
  if (excludes.caps && hasCap(excludes.caps)) return false;
  return true;
}

/** Compares kernel releases by their numeric major.minor.patch prefix. */
export function compareKernel(a: string, b: string): number {
  const parts = (release: string) =>
    (/^(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(release) ?? []).slice(1, 4).map(Number);
  const [x, y] = [parts(a), parts(b)];
  for (let i = 0; i < 3; i++) {
    const diff = (x[i] || 0) - (y[i] || 0);
    if (diff !== 0) return diff;
  }
  return 0;
}

/** The parts of Docker's profile format (moby `seccomp.Seccomp`) that Berth reads. */
interface DockerProfile {
  defaultAction?: string;
  defaultErrnoRet?: number;
  architectures?: string[];
  archMap?: { architecture: string; subArchitectures?: string[] | null }[];
  syscalls?: (Omit<SeccompRuleTemplate, 'names'> & { names?: string[]; name?: string })[];
}

/** Docker's arch names in archMap entries → Go arch names. */
const SCMP_TO_GO: Record<string, string> = {
  SCMP_ARCH_X86_64: 'amd64',
  SCMP_ARCH_AARCH64: 'arm64',
  SCMP_ARCH_S390X: 's390x',
  SCMP_ARCH_RISCV64: 'riscv64',
  SCMP_ARCH_PPC64LE: 'ppc64le',
};

function parseDockerProfile(json: string): SeccompProfileTemplate {
  let profile: DockerProfile;
  try {
    profile = JSON.parse(json) as DockerProfile;
  } catch (err) {
    throw invalidArgument(`decoding seccomp profile failed: ${(err as Error).message}`);
  }
  if (typeof profile.defaultAction !== 'string')
    throw invalidArgument('seccomp profile has no defaultAction');
  const architectures: Record<string, string[]> = {};
  for (const entry of profile.archMap ?? []) {
    const arch = SCMP_TO_GO[entry.architecture];
    if (arch) architectures[arch] = [entry.architecture, ...(entry.subArchitectures ?? [])];
  }
  // A profile that lists `architectures` directly uses that list whatever the native arch.
  for (const arch of Object.values(SCMP_TO_GO)) {
    if (profile.architectures?.length) architectures[arch] ??= profile.architectures;
  }
  const rules = (profile.syscalls ?? []).map(({ name, ...rule }) => ({
    ...rule,
    names: rule.names ?? [name ?? ''],
  }));
  return {
    defaultAction: profile.defaultAction,
    ...(profile.defaultErrnoRet !== undefined ? { defaultErrnoRet: profile.defaultErrnoRet } : {}),
    architectures,
    rules,
  };
}
