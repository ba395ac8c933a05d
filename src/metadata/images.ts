import type { Statement } from 'better-sqlite3';
import type { Descriptor } from '../core/descriptor.js';
import { type Digest, isDigest } from '../core/digest.js';
import { alreadyExists, invalidArgument, notFound } from '../core/errors.js';
import type { StoreContext } from './context.js';
import { contentNode, type GraphEdge } from './gc-graph.js';
import { type LabelFilter, type Labels, matchesLabels, parseLabels, validateLabels } from './labels.js';
import type { ReferenceStore } from './refs.js';

/** An image record: a name pointing at a manifest or index. */
export interface Image {
  /** The normalised reference, e.g. `docker.io/library/busybox:latest`. */
  name: string;
  target: Descriptor;
  labels: Labels;
  createdAt: Date;
  updatedAt: Date;
}

/** The fields a caller supplies to create an image. */
export interface NewImage {
  name: string;
  target: Descriptor;
  labels?: Labels;
}

/** The fields of an update; only those named by the field paths are used. */
export interface ImageUpdate {
  name: string;
  target?: Descriptor;
  labels?: Labels;
}

/** Selects images; every given condition must hold. */
export interface ImageFilter {
  name?: string;
  targetDigest?: Digest;
  labels?: LabelFilter;
}

/**
 * The fields an update may change (containerd's field paths): `target`,
 * `labels` (all of them), or `labels.<key>` (one; absent from the update means
 * remove it).
 */
export type ImageFieldPath = 'target' | 'labels' | `labels.${string}`;

interface ImageRow {
  name: string;
  target: string;
  labels: string;
  created_at: number;
  updated_at: number;
}

/** Image records, in containerd's CRUD shape. Each call is one transaction. */
export class ImageStore {
  private readonly sql: {
    get: Statement<[string], ImageRow>;
    list: Statement<[], ImageRow>;
    listByTarget: Statement<[string], ImageRow>;
    insert: Statement<[string, string, string, string, number, number]>;
    update: Statement<[string, string, string, number, string]>;
    delete: Statement<[string]>;
    targets: Statement<[], { name: string; target_digest: string }>;
  };

  constructor(
    private readonly ctx: StoreContext,
    private readonly refs: ReferenceStore,
  ) {
    const db = ctx.db;
    const columns = 'name, target, labels, created_at, updated_at';
    this.sql = {
      get: db.prepare(`SELECT ${columns} FROM images WHERE name = ?`),
      list: db.prepare(`SELECT ${columns} FROM images ORDER BY name`),
      listByTarget: db.prepare(`SELECT ${columns} FROM images WHERE target_digest = ? ORDER BY name`),
      insert: db.prepare(
        'INSERT INTO images (name, target, target_digest, labels, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      update: db.prepare(
        'UPDATE images SET target = ?, target_digest = ?, labels = ?, updated_at = ? WHERE name = ?',
      ),
      delete: db.prepare('DELETE FROM images WHERE name = ?'),
      targets: db.prepare('SELECT name, target_digest FROM images'),
    };
  }

  /** The image called `name`; NotFound if there is none. */
  get(name: string): Image {
    const row = this.sql.get.get(name);
    if (!row) throw notFound(`image "${name}": not found`);
    return toImage(row);
  }

  /** Images matching every condition of `filter`, by name. */
  list(filter: ImageFilter = {}): Image[] {
    const rows = filter.targetDigest ? this.sql.listByTarget.all(filter.targetDigest) : this.sql.list.all();
    return rows
      .map(toImage)
      .filter((image) => filter.name === undefined || image.name === filter.name)
      .filter((image) => matchesLabels(image.labels, filter.labels));
  }

  /** Creates an image; AlreadyExists if the name is taken. */
  create(image: NewImage): Image {
    if (image.name === '') throw invalidArgument('image name must not be empty');
    checkTarget(image.target);
    const labels = validateLabels(image.labels);
    const now = this.ctx.now();
    return this.ctx.db.transaction(() => {
      if (this.sql.get.get(image.name)) throw alreadyExists(`image "${image.name}": already exists`);
      const target = JSON.stringify(image.target);
      this.sql.insert.run(image.name, target, image.target.digest, JSON.stringify(labels), now, now);
      this.ctx.noteContent(image.target.digest);
      return this.get(image.name);
    })();
  }

  /**
   * Changes the fields named by `fieldPaths` (all of target and labels when
   * none are named) and returns the result; NotFound if there is no such image.
   */
  update(image: ImageUpdate, fieldPaths: readonly ImageFieldPath[] = []): Image {
    return this.ctx.db.transaction(() => {
      const current = this.get(image.name);
      const paths = fieldPaths.length > 0 ? fieldPaths : (['target', 'labels'] as const);
      let target = current.target;
      let labels = { ...current.labels };
      for (const path of paths) {
        if (path === 'target') target = image.target ?? missingTarget();
        else if (path === 'labels') labels = validateLabels(image.labels);
        else if (path.startsWith('labels.')) labels = withLabel(labels, path.slice(7), image.labels);
        else throw invalidArgument(`cannot update image field "${path}"`);
      }
      checkTarget(target);
      const updatedAt = this.ctx.now();
      this.sql.update.run(
        JSON.stringify(target),
        target.digest,
        JSON.stringify(labels),
        updatedAt,
        image.name,
      );
      this.ctx.noteContent(target.digest);
      return this.get(image.name);
    })();
  }

  /** Deletes an image and the references it held; NotFound if there is none. */
  delete(name: string): void {
    this.ctx.db.transaction(() => {
      if (this.sql.delete.run(name).changes === 0) throw notFound(`image "${name}": not found`);
      this.refs.deleteOwner({ kind: 'image', id: name });
    })();
  }

  /** Each image's hold on its target, for garbage collection marking. */
  targetEdges(): GraphEdge[] {
    return this.sql.targets.all().map((row) => ({
      owner: { kind: 'image', id: row.name },
      node: contentNode(row.target_digest),
    }));
  }
}

function toImage(row: ImageRow): Image {
  return {
    name: row.name,
    target: JSON.parse(row.target) as Descriptor,
    labels: parseLabels(row.labels),
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}

function missingTarget(): never {
  throw invalidArgument('image update names the target field but gives no target');
}

function checkTarget(target: Descriptor): void {
  if (!target?.mediaType) throw invalidArgument('image target must have a media type');
  if (!isDigest(target.digest)) throw invalidArgument(`image target digest ${target.digest} is invalid`);
  if (!Number.isSafeInteger(target.size) || target.size < 0) {
    throw invalidArgument(`image target size ${target.size} is invalid`);
  }
}

/** Sets one label from the update's labels, or removes it when the update lacks it. */
function withLabel(labels: Labels, key: string, from: Labels | undefined): Labels {
  const value = from?.[key];
  const { [key]: _removed, ...rest } = labels;
  return value === undefined ? rest : validateLabels({ ...rest, [key]: value });
}
