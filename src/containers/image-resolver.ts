/** What the container service needs to know about an image. */
export interface ResolvedImage {
  /** The image ID (sha256 of its config). */
  id: string;
  /** The image config's `config` object (Docker's ContainerConfig shape: Cmd, Entrypoint, Env, …). */
  config: Record<string, unknown>;
  /** The snapshot name of its top layer (its chain ID); undefined for an image with no layers. */
  topLayer: string | undefined;
  /** The image's size in bytes (its layers'), for `ps --size`. */
  size?: number;
}

/** Finds an image by any name `docker run` accepts; NotFound ("No such image: x") when missing. */
export interface ImageResolver {
  resolve(name: string): Promise<ResolvedImage>;
  /**
   * Docker's SizeRw of a container's writable snapshot (apparent file sizes,
   * as overlay2 counts them); without it, the snapshot's disk usage.
   */
  writableSize?(snapshotKey: string): Promise<number>;
}
