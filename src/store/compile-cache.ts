// Node 22.1 and later keep V8's compiled code between runs (module.enableCompileCache). Left to
// itself, Node puts that cache in the shared temp directory, where another local user can read
// it or plant code for codex-auth to load; codex-auth gives it a private (0700) directory in its
// own state directory instead. Built as its own small entry (dist/compile-cache.js) for the bin
// script, which loads it only on a Node that has the cache.
import { join } from 'node:path';
import { ensurePrivateDir } from './atomic.ts';
import { codexAuthHome } from './paths.ts';

export function compileCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const home = codexAuthHome(env);
  ensurePrivateDir(home);
  const dir = join(home, 'compile-cache');
  ensurePrivateDir(dir);
  return dir;
}
