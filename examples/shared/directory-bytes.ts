import type { Dirent } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

// The size of a folder on disk, as the files in it add up: what a tick store (its tables, its
// write-ahead log) takes, measured from outside the database.

/**
 * The total size of the files under a directory, walked recursively. Files that vanish during the
 * walk (the database rewrites its files) count as 0; a directory that does not exist yet is 0 bytes.
 *
 * @param dir - the directory
 * @returns bytes
 */
export async function directoryBytes(dir: string): Promise<number> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
  let total = 0;
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += await directoryBytes(path);
    else if (entry.isFile()) {
      try {
        total += (await stat(path)).size;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
  }
  return total;
}
