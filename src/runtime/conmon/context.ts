import type { CgroupLayout } from '../../cgroups/layout.js';
import type { Logger } from '../../core/logger.js';
import type { OciCli } from '../oci-cli.js';
import type { ConmonBase } from './args.js';
import type { ExecRootLayout } from './layout.js';

/** What the conmon runtime's operations share. */
export interface ConmonContext {
  layout: ExecRootLayout;
  cli: OciCli;
  conmonPath: string;
  conmonBase: ConmonBase;
  /** A cgroup to move each conmon into, out of the daemon's own; none to leave it there. */
  monitorCgroup: string | undefined;
  /** The host's cgroup mounts, read once. */
  cgroupLayout: () => Promise<CgroupLayout>;
  logger: Logger;
}
