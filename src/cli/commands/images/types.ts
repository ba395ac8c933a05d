/** The Engine API's image shapes, as far as the client reads them. */

/** An item of GET /images/json (and of /system/df's Images). */
export interface ImageSummary {
  Id: string;
  ParentId?: string;
  RepoTags?: string[] | null;
  RepoDigests?: string[] | null;
  /** Unix seconds. */
  Created: number;
  Size: number;
  /** -1 when the daemon did not compute it. */
  SharedSize?: number;
  VirtualSize?: number;
  Labels?: Record<string, string> | null;
  /** -1 when the daemon did not count them. */
  Containers?: number;
}

/** An item of GET /images/{name}/history. */
export interface HistoryItem {
  Id: string;
  /** Unix seconds. */
  Created: number;
  CreatedBy: string;
  Tags?: string[] | null;
  Size: number;
  Comment: string;
}

/** An item of DELETE /images/{name} and of the prune report. */
export interface DeleteItem {
  Untagged?: string;
  Deleted?: string;
}

/** The answer of POST /images/prune. */
export interface ImagePruneReport {
  ImagesDeleted?: DeleteItem[] | null;
  SpaceReclaimed?: number;
}
