// The `fs` module plus a synchronous glob for Node 20 (see node20-globsync.mjs).
import fs from 'node:fs';
import path from 'node:path';

export * from 'node:fs';
export default fs;

/** fs.globSync(pattern, { cwd }) of Node 22 for string patterns: relative paths of matching entries. */
export function globSync(pattern, options = {}) {
  const cwd = options.cwd === undefined ? process.cwd() : String(options.cwd);
  const patterns = Array.isArray(pattern) ? pattern : [pattern];
  const entries = fs.readdirSync(cwd, { recursive: true }).map(String);
  return entries.filter((entry) => patterns.some((p) => path.matchesGlob(entry, p)));
}
