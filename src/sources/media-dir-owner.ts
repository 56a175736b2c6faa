import { lchownSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createBreather } from './media-breather.ts';

/**
 * Gives `root` and everything below it to `uid:gid`. A restore running as root would otherwise hand the application's
 * media directory (owned by, say, www-data) to root, and the application could no longer store uploads in it.
 */
export async function chownTree(root: string, uid: number, gid: number): Promise<void> {
  const breathe = createBreather();
  const pending = [root];
  for (let directory = pending.pop(); directory !== undefined; directory = pending.pop()) {
    lchownSync(directory, uid, gid);
    for (const dirent of readdirSync(directory, { withFileTypes: true })) {
      const path = join(directory, dirent.name);
      if (dirent.isDirectory()) pending.push(path);
      else lchownSync(path, uid, gid);
      await breathe();
    }
  }
}
