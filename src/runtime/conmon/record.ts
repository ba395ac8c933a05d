import { readFile } from 'node:fs/promises';
import { errnoCode, notFound } from '../../core/errors.js';
import { writeStateFile } from './state-file.js';

/**
 * What Berth remembers about a container it created, in the bundle's
 * record.json: enough for a new daemon process to manage it. The OCI
 * runtime and conmon keep the rest (state, exit files).
 */
export interface ContainerRecord {
  version: 1;
  id: string;
  /** The OCI runtime's name and binary. */
  runtime: string;
  runtimePath: string;
  terminal: boolean;
  stdin: boolean;
  stdinOnce: boolean;
  logPath: string;
  /** True when create mounted the rootfs at `<bundle>/rootfs` (delete unmounts everything under the bundle). */
  rootfsMounted: boolean;
  createdAt: string;
  pid: number;
  monitorPid: number;
  /** conmon's start time (/proc/<pid>/stat field 22), telling it apart from a later process with its pid. */
  monitorStartTime: string;
}

/** Reads a record; NotFound when the container does not exist. */
export async function readRecord(path: string, id: string): Promise<ContainerRecord> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as ContainerRecord;
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') throw notFound(`No such container: ${id}`);
    throw err;
  }
}

/** Replaces a container's record atomically. */
export async function writeRecord(path: string, record: ContainerRecord): Promise<void> {
  await writeStateFile(path, `${JSON.stringify(record, null, 2)}\n`);
}
