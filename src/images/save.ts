import type { Digest } from '../core/digest.js';
import type { SaveItem } from './archive/writer.js';
import { type ImageCatalog, noSuchImage } from './catalog.js';
import { parseRecordName } from './names.js';
import {
  familiarName,
  familiarString,
  parseAnyReference,
  type Reference,
  referenceName,
  tagNameOnly,
} from './reference.js';

/**
 * What `docker save a b …` saves, as dockerd's parseNames decides: an ID saves
 * the image untagged; `repo:tag` saves it under that tag; a bare repository
 * saves every tag of it. Every name must resolve before anything is written.
 */
export async function resolveSaveItems(catalog: ImageCatalog, names: readonly string[]): Promise<SaveItem[]> {
  const items = new Map<Digest, SaveItem>();
  const add = async (id: Digest, tag?: Reference) => {
    let item = items.get(id);
    if (!item) {
      const entry = await catalog.byId(id);
      if (!entry) throw noSuchImage(id);
      item = { entry, tags: [] };
      items.set(id, item);
    }
    if (tag && !item.tags.some((known) => familiarString(known) === familiarString(tag))) item.tags.push(tag);
  };
  for (const name of names) {
    const parsed = parseAnyReference(name);
    if (typeof parsed === 'string') {
      await add(parsed);
      continue;
    }
    if (familiarName(parsed) === 'sha256' || (parsed.tag === undefined && parsed.digest === undefined)) {
      const tagged = familiarName(parsed) === 'sha256' ? [] : tagsOfRepository(catalog, parsed);
      for (const [id, tag] of tagged) await add(id, tag);
      if (tagged.length > 0) continue;
      const id = catalog.searchId(name);
      if (!id) throw noSuchImage(name);
      await add(id);
      continue;
    }
    const id = catalog.idByName(parsed);
    if (!id) throw noSuchImage(familiarString(tagNameOnly(parsed)));
    await add(id, parsed.digest === undefined ? parsed : undefined);
  }
  return [...items.values()];
}

/** Every tag of a repository with the image it names. */
function tagsOfRepository(catalog: ImageCatalog, repo: Reference): [Digest, Reference][] {
  const name = referenceName(repo);
  const found: [Digest, Reference][] = [];
  for (const [id, records] of catalog.recordsById()) {
    for (const record of records) {
      const parsed = parseRecordName(record.name);
      if (parsed.kind === 'tag' && referenceName(parsed.ref) === name) found.push([id, parsed.ref]);
    }
  }
  return found.sort(([, a], [, b]) => (familiarString(a) < familiarString(b) ? -1 : 1));
}
