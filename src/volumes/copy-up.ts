import { lstat, readdir } from 'node:fs/promises';
import { errnoCode, wrap } from '../core/errors.js';
import { runCommand } from '../core/exec.js';

/**
 * Docker's copy-up: when a container mounts an empty volume over a path
 * that has content in its image, the content is copied into the volume
 * first, with owners, modes, timestamps, links and extended attributes
 * (`cp -a`). Returns whether anything was copied: nothing is when the
 * volume already has data or the image has nothing at that path.
 */
export async function copyUp(imagePath: string, volumeDir: string): Promise<boolean> {
  if ((await readdir(volumeDir)).length > 0) return false;
  const source = await lstat(imagePath).catch((err) => {
    if (errnoCode(err) === 'ENOENT') return undefined;
    throw err;
  });
  if (!source?.isDirectory() || (await readdir(imagePath)).length === 0) return false;
  try {
    await runCommand('cp', ['-a', '--', `${imagePath}/.`, `${volumeDir}/`]);
  } catch (err) {
    throw wrap(err, `failed to copy image content from ${imagePath} into the volume`);
  }
  return true;
}
