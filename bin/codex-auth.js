#!/usr/bin/env node
// One bundled file keeps start-up fast: see scripts/build.mjs. Node 22.1 and later can also keep
// V8's compiled code between runs, in a private directory of codex-auth's (never the shared temp
// directory); Node 20 has no such cache and loads nothing for it.
import module from 'node:module';

if (module.enableCompileCache) {
  try {
    const { compileCacheDir } = await import('../dist/compile-cache.js');
    module.enableCompileCache(compileCacheDir());
  } catch {
    // No private directory to be had: run without the cache rather than in a shared one.
  }
}
await import('../dist/cli.js');
