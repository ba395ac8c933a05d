import type { Digest } from '../core/digest.js';

/** A container made from an image. */
export interface ImageUser {
  /** The container's full ID. */
  id: string;
  running: boolean;
}

/**
 * Who uses which image: what `docker rmi` checks before it removes a name or
 * an image (409 while a container uses it). The container service implements
 * it; until containers exist nothing uses any image.
 */
export interface ImageUsage {
  /** Containers created from the image with this ID, in any state. */
  containersUsing(imageId: Digest): ImageUser[] | Promise<ImageUser[]>;
}

/** The usage of an engine without containers: none. */
export const noImageUsage: ImageUsage = { containersUsing: () => [] };
