#!/usr/bin/env node
// One bundled file keeps start-up fast: see scripts/build.mjs. Node 22.1 and later can also keep
// V8's compiled code between runs (Node's own cache directory); Node 20 has no such cache.
import module from 'node:module';

module.enableCompileCache?.();
await import('../dist/cli.js');
