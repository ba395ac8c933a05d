import { failedPrecondition, invalidArgument } from '../../core/errors.js';
import { chooseCapabilities } from './capabilities.js';
import { type ContainerCommand, processArgs, resolveCommand } from './command.js';
import {
  ALLOW_ALL_DEVICES,
  blockDeviceNumbers,
  defaultDeviceRules,
  deviceCgroupRule,
  hostDevices,
  mappedDevices,
} from './devices.js';
import { mergeImageEnv, processEnv } from './env.js';
import { cgroupnsDefault, type SpecHost } from './host.js';
import { buildMounts } from './mounts.js';
import { chooseNamespaces, chooseSysctls } from './namespaces.js';
import { OCI_VERSION, type OciCapabilities, type OciLinux, type OciProcess, type OciSpec } from './oci.js';
import { DEFAULT_MASKED_PATHS, DEFAULT_READONLY_PATHS } from './paths.js';
import type { ContainerRequest, SpecInput } from './request.js';
import { cgroupsPathFor, chooseResources, type Discards } from './resources.js';
import { chooseRlimits } from './rlimits.js';
import { resolveSeccomp } from './seccomp.js';
import { resolveUser } from './user.js';

/** A generated spec, with what else the caller reports to the user. */
export interface GeneratedSpec {
  spec: OciSpec;
  /** Docker's `Path` and `Args` (without the init binary). */
  command: ContainerCommand;
  /** Settings this host cannot honour, dropped or lowered (returned by the create call, as dockerd does). */
  warnings: string[];
}

/**
 * Builds the OCI runtime spec (config.json) of a container from its create
 * request and image config, with Docker's defaults for everything the
 * request leaves out. Fails with InvalidArgument for a request Docker would
 * refuse. docs/runtime.md lists every default.
 */
export async function generateSpec(input: SpecInput, host: SpecHost): Promise<GeneratedSpec> {
  const { container, image } = input;
  const warnings: string[] = [];
  const command = resolveCommand(container, image);
  const namespaces = chooseNamespaces(container, cgroupnsDefault(host));
  const caps = chooseCapabilities({ ...container, bounding: host.boundingCapabilities });
  for (const cap of caps.unavailable)
    warnings.push(`${cap} is not in the daemon's bounding set and was left out`);
  const defaults = host.defaults ?? {};
  const ulimits = container.ulimits ?? [];
  const rlimits = chooseRlimits(
    [...ulimits, ...(defaults.ulimits ?? []).filter((d) => !ulimits.some((u) => u.name === d.name))],
    host.rlimits,
    host.canRaiseRlimits,
  );
  const resources = chooseResources(container.resources ?? {}, host.cgroupFeatures);
  warnings.push(...rlimits.warnings, ...resources.warnings);
  const init = (container.init ?? defaults.init) === true && (container.pid ?? 'private') === 'private';
  if (init && !host.initPath)
    throw failedPrecondition('--init needs docker-init, tini-static or catatonit on PATH');

  const process: OciProcess = {
    terminal: container.tty === true,
    user: resolveUser(
      container.user || image.user || '',
      container.groupAdd ?? [],
      input.passwd,
      input.group,
    ),
    args: processArgs(command, init),
    env: processEnv(
      mergeImageEnv(container.env, image.env),
      container.hostname,
      container.tty === true,
      container.linkedEnv,
    ),
    cwd: workingDir(container.workingDir || image.workingDir),
    capabilities: capabilitySets(caps.capabilities),
    ...(rlimits.rlimits.length > 0 ? { rlimits: rlimits.rlimits } : {}),
    noNewPrivileges: container.noNewPrivileges === true || defaults.noNewPrivileges === true,
    ...(container.oomScoreAdj !== undefined ? { oomScoreAdj: oomScoreAdj(container.oomScoreAdj) } : {}),
  };
  const linux: OciLinux = {
    namespaces: namespaces.namespaces,
    ...(container.userns
      ? { uidMappings: container.userns.uidMappings, gidMappings: container.userns.gidMappings }
      : {}),
    ...(await deviceSettings(container)),
    cgroupsPath: cgroupsPathFor(container.id, host.cgroupDriver, container.cgroupParent || host.cgroupParent),
    sysctl: chooseSysctls(container.sysctls ?? {}, namespaces, container.userns !== undefined),
    ...(container.privileged
      ? {}
      : {
          maskedPaths: container.maskedPaths ?? [...DEFAULT_MASKED_PATHS, ...host.extraMaskedPaths],
          readonlyPaths: container.readonlyPaths ?? [...DEFAULT_READONLY_PATHS],
        }),
  };
  linux.resources = { ...linux.resources, ...resources.resources };
  if (Object.keys(resources.blockDevices).length > 0)
    linux.resources.blockIO = {
      ...linux.resources.blockIO,
      ...(await blockDeviceNumbers(resources.blockDevices)),
    };
  const seccompChoice =
    (container.seccomp ?? 'default') === 'default' ? (defaults.seccomp ?? 'default') : container.seccomp!;
  const seccomp = resolveSeccomp(seccompChoice, container.privileged === true, {
    capabilities: caps.capabilities,
    arch: host.arch,
    kernel: host.kernel,
  });
  if (seccomp) linux.seccomp = seccomp;

  const spec: OciSpec = {
    ociVersion: OCI_VERSION,
    process,
    root: { path: input.files.rootfs, readonly: container.readonlyRootfs === true },
    ...(namespaces.hostUts ? {} : { hostname: container.hostname }),
    ...(container.domainname && !namespaces.hostUts ? { domainname: container.domainname } : {}),
    mounts: buildMounts(container, input.files, init ? host.initPath : undefined),
    ...(container.annotations ? { annotations: container.annotations } : {}),
    linux,
  };
  return { spec, command, warnings };
}

/**
 * The checks of {@link generateSpec} that need no files (namespaces,
 * sysctls, cgroup limits and path, device rules), for create: a request
 * Docker refuses at create fails there, not at the first start. Returns the
 * warnings of limits this host cannot enforce, for the create response,
 * and which limits they drop.
 */
export function checkRequest(container: ContainerRequest, host: SpecHost): Discards {
  const namespaces = chooseNamespaces(container, cgroupnsDefault(host));
  chooseSysctls(container.sysctls ?? {}, namespaces, container.userns !== undefined);
  cgroupsPathFor(container.id, host.cgroupDriver, container.cgroupParent || host.cgroupParent);
  for (const rule of container.deviceCgroupRules ?? []) deviceCgroupRule(rule);
  if (container.oomScoreAdj !== undefined) oomScoreAdj(container.oomScoreAdj);
  const { warnings, dropped } = chooseResources(container.resources ?? {}, host.cgroupFeatures);
  return { warnings, dropped };
}

/** Docker sets bounding, effective and permitted alike, and no inheritable set (CVE-2022-24769). */
function capabilitySets(capabilities: string[]): OciCapabilities {
  return { bounding: [...capabilities], effective: [...capabilities], permitted: [...capabilities] };
}

function workingDir(dir: string | undefined): string {
  if (!dir) return '/';
  if (!dir.startsWith('/'))
    throw invalidArgument(`the working directory '${dir}' is invalid, it needs to be an absolute path`);
  return dir;
}

function oomScoreAdj(value: number): number {
  if (value < -1000 || value > 1000)
    throw invalidArgument(`Invalid value ${value}, range for oom score adj is [-1000, 1000]`);
  return value;
}

/** Device nodes and device cgroup rules: Docker's allowlist plus `--device`, or every host device when privileged. */
async function deviceSettings(container: ContainerRequest): Promise<Pick<OciLinux, 'devices' | 'resources'>> {
  if (container.privileged) {
    const extra = (container.devices ?? []).filter(
      (d) => d.pathInContainer && d.pathInContainer !== d.pathOnHost,
    );
    const devices = [...(await hostDevices()), ...(await mappedDevices(extra)).devices];
    return { devices, resources: { devices: [ALLOW_ALL_DEVICES] } };
  }
  const mapped = await mappedDevices(container.devices ?? []);
  const ruled = (container.deviceCgroupRules ?? []).map(deviceCgroupRule);
  return {
    devices: mapped.devices,
    resources: { devices: [...defaultDeviceRules(), ...mapped.rules, ...ruled] },
  };
}
