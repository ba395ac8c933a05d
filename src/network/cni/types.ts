/**
 * The CNI data model (containernetworking/cni SPEC.md, version 1.0.0) as far
 * as Berth uses it: network configuration lists, plugin results and errors.
 */

/** The CNI version Berth speaks; Debian's plugins accept 0.1.0 … 1.0.0. */
export const CNI_VERSION = '1.0.0';

/** One plugin's configuration inside a list: its `type` plus plugin-specific keys. */
export interface CniPluginConfig {
  type: string;
  [key: string]: unknown;
}

/** A network configuration list: what a runtime executes, plugin by plugin, for one network. */
export interface CniConfList {
  cniVersion: string;
  name: string;
  plugins: CniPluginConfig[];
}

/** An interface a plugin created; `sandbox` is set for those inside the container. */
export interface CniInterface {
  name: string;
  mac?: string;
  sandbox?: string;
}

/** An address a plugin assigned, in CIDR form, with the interface's index in `interfaces`. */
export interface CniIpConfig {
  address: string;
  gateway?: string;
  interface?: number;
}

/** The result of an ADD: what the container's interface now looks like. */
export interface CniResult {
  cniVersion: string;
  interfaces?: CniInterface[];
  ips?: CniIpConfig[];
  routes?: { dst: string; gw?: string }[];
  dns?: { nameservers?: string[]; domain?: string; search?: string[]; options?: string[] };
}

/** The error document a failing plugin prints on stdout. */
export interface CniErrorDocument {
  cniVersion?: string;
  code: number;
  msg: string;
  details?: string;
}

/** Which container, namespace and interface a call is about (CNI_CONTAINERID, CNI_NETNS, CNI_IFNAME). */
export interface CniRuntime {
  containerId: string;
  /** Path of the network namespace; empty when it is already gone (DEL then only frees resources). */
  netnsPath: string;
  ifName: string;
}

/**
 * What Berth keeps on disk for each ADD, like libcni's result cache: the exact
 * list and runtime it ran with and the result, so DEL can be given prevResult.
 */
export interface CniCacheEntry {
  kind: 'cniCacheV1';
  containerId: string;
  ifName: string;
  networkName: string;
  netnsPath: string;
  config: CniConfList;
  /** Absent while the ADD has not finished; DEL then runs without prevResult. */
  result?: CniResult;
}
