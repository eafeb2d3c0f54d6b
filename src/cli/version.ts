// The installed package's own version, from its package.json: yargs would look from the
// current directory and report another project's version (or "unknown").
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface PackageInfo {
  /** The folder holding package.json and README.md. */
  root: string;
  version: string;
}

/** Walks up from this module (src/cli/ in development, dist/ when bundled) to codex-auth's package.json. */
export function packageInfo(): PackageInfo | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'codex-auth' && pkg.version) return { root: dir, version: pkg.version };
    } catch {
      // No package.json here: keep walking up.
    }
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}
