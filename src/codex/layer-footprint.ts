// What deciding a directory's project layers looked at (src/codex/layers.ts), kept so that the
// header helper can tell, with a few stat calls and no parsing, that its last answer still holds:
// the directory's real path, and every path it checked with what was there (absent, a directory,
// or a file by size, modification and change times and inode). A layer file edited, replaced,
// added or removed, a marker or `.git` appearing, or the directory moving all show as a change.
import fs from 'node:fs';

export interface LayerFootprint {
  /** The directory asked about, as given, and its real path then. */
  cwd: string;
  dir: string;
  /** Path -> what was there (see `look`). */
  seen: Record<string, string>;
}

/** What is at `path` now: `-` nothing, `d` a directory, `o` something else, or a file's size, times and inode. */
export function look(path: string): string {
  let stat: fs.Stats | undefined;
  try {
    stat = fs.statSync(path, { throwIfNoEntry: false });
  } catch {
    // ENOTDIR (`.git/HEAD` where `.git` is a worktree's file), EACCES, a symlink loop: nothing usable there.
    stat = undefined;
  }
  if (!stat) return '-';
  if (!stat.isFile()) return stat.isDirectory() ? 'd' : 'o';
  return `${stat.size}:${stat.mtimeMs}:${stat.ctimeMs}:${stat.ino}`;
}

export function isLookOfFile(seen: string): boolean {
  return seen.length > 1;
}

export function realDirectory(cwd: string): string | undefined {
  try {
    return fs.realpathSync(cwd);
  } catch {
    return undefined;
  }
}

/** True while nothing the footprint's decision rested on has changed, for the directory `cwd`. */
export function footprintHolds(footprint: LayerFootprint | undefined, cwd: string): boolean {
  if (!footprint || footprint.cwd !== cwd || realDirectory(cwd) !== footprint.dir) return false;
  return Object.entries(footprint.seen).every(([path, seen]) => look(path) === seen);
}
