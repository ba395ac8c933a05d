/** GET /system/df, as far as `system df` reads it. */
import type { ImageSummary } from '../images/types.js';

/** A container as /system/df lists it. */
export interface DfContainer {
  Id: string;
  Names?: string[] | null;
  Image: string;
  ImageID: string;
  Command: string;
  /** Unix seconds. */
  Created: number;
  State: string;
  Status: string;
  SizeRw?: number;
  Mounts?: { Driver?: string; Name?: string; Source?: string }[] | null;
}

/** A volume with its usage. */
export interface DfVolume {
  Name: string;
  Driver?: string;
  UsageData?: { Size: number; RefCount: number } | null;
}

/** A build cache record. */
export interface DfBuildCache {
  ID: string;
  Type: string;
  Size: number;
  CreatedAt: string;
  LastUsedAt?: string | null;
  UsageCount: number;
  InUse: boolean;
  Shared: boolean;
}

/** The whole answer. */
export interface DiskUsage {
  LayersSize?: number;
  Images?: ImageSummary[] | null;
  Containers?: DfContainer[] | null;
  Volumes?: DfVolume[] | null;
  BuildCache?: DfBuildCache[] | null;
}
