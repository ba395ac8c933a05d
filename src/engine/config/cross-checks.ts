/**
 * What depends on several directives at once: values dockerd derives after
 * merging file and flags, and the checks between directives.
 */
import { ConfigValueError } from './config-error.js';
import { checkSystemdCgroupParent } from './extra-directives.js';
import { DEFAULT_TLS_HOST, DEFAULT_UNIX_HOST, isTcpHost, normalizeHosts } from './hosts.js';
import { validateLogOpts } from './log-opts.js';
import { cgroupDriverOf, checkDefaultRuntime } from './runtime-opts.js';
import type { DaemonConfig } from './types.js';

/** Fills in the derived fields: TLS implications, listen hosts, cgroup driver. */
export function deriveSettings(config: DaemonConfig, insecureTcpFlag: boolean): void {
  // Setting tlsverify at all (even to false) turns TLS on; TLS on verifies clients unless told otherwise.
  if (config.sources['tlsverify'] !== undefined) config.tls = true;
  else if (config.tls) config.tlsVerify = true;
  // An explicit "tls: false" is dockerd's opt-in to plain TCP.
  config.insecureTcp = insecureTcpFlag || (config.sources['tls'] !== undefined && !config.tls);
  const hosts = normalizeHosts(config.sources['hosts'] ? config.hosts : []);
  // Without hosts, dockerd listens on the TLS port when TLS is on, else on the unix socket.
  config.hosts = hosts.length > 0 ? hosts : [config.tls ? DEFAULT_TLS_HOST : DEFAULT_UNIX_HOST];
  config.cgroupDriver = cgroupDriverOf(config.execOpts, 'cgroupfs');
}

/** Throws a ConfigValueError for the first inconsistency between directives. */
export function crossCheck(config: DaemonConfig, systemdIsPid1: boolean): void {
  checkTcpNeedsTls(config);
  checkTlsFiles(config);
  checkCgroupDriver(config, systemdIsPid1);
  checkDefaultRuntime(config.defaultRuntime ?? 'runc', config.runtimes);
  validateLogOpts(config.logDriver, config.logOpts);
  checkBridge(config);
}

function checkTcpNeedsTls(config: DaemonConfig): void {
  const tcpHost = config.hosts.find(isTcpHost);
  if (tcpHost === undefined || config.tls || config.insecureTcp) return;
  throw new ConfigValueError(
    'hosts',
    `${tcpHost}: listening on TCP without TLS is insecure; use --tlsverify or pass --tls=false explicitly` +
      ' (in daemon.json: "tlsverify": true, or "tls": false)',
  );
}

function checkTlsFiles(config: DaemonConfig): void {
  if (!config.tls) return;
  const blame = config.sources['tlsverify'] !== undefined ? 'tlsverify' : 'tls';
  const setting = config.tlsVerify ? 'tlsverify' : 'tls';
  const required: [string, string | undefined, string][] = [
    ['tlscert', config.tlsCert, 'the server certificate'],
    ['tlskey', config.tlsKey, "the server certificate's private key"],
  ];
  if (config.tlsVerify)
    required.push(['tlscacert', config.tlsCaCert, 'the CA certificate to verify clients']);
  for (const [key, value, what] of required) {
    if (value === undefined || value === '') {
      // tlsverify: false still turns TLS on, as in dockerd: say so, or the message names no key the user set.
      const why = blame === 'tlsverify' && setting === 'tls' ? ' (tlsverify, even false, enables tls)' : '';
      throw new ConfigValueError(key, `${what} is required when ${setting} is enabled${why}`, blame);
    }
  }
}

function checkCgroupDriver(config: DaemonConfig, systemdIsPid1: boolean): void {
  if (config.cgroupDriver !== 'systemd') return;
  if (!systemdIsPid1) {
    throw new ConfigValueError(
      'exec-opts',
      'native.cgroupdriver=systemd: systemd is not running as PID 1, so the systemd cgroup driver cannot be used; use native.cgroupdriver=cgroupfs',
    );
  }
  checkSystemdCgroupParent(config.extraOptions);
}

function checkBridge(config: DaemonConfig): void {
  if (config.bridge && config.bip) {
    throw new ConfigValueError('bip', 'bip and bridge are mutually exclusive; specify only one');
  }
  // icc=false is enforced with iptables rules.
  if (config.extraOptions['icc'] === false && !config.iptables) {
    throw new ConfigValueError('icc', 'icc=false needs iptables; set icc or iptables to true');
  }
}
