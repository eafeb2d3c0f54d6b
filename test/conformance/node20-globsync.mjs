// Node 20 lacks fs.globSync (added in Node 22), which the conformance suite
// imports by name. Registered with `node --import`, this redirects ESM imports
// of `fs`/`node:fs` to a module that re-exports fs plus a globSync; on a Node
// that has one it does nothing.
import fs from 'node:fs';
import { register } from 'node:module';

if (typeof fs.globSync !== 'function') {
  register('./node20-globsync-hooks.mjs', import.meta.url);
}
