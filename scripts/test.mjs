// The test command: type-check and lint (scripts/check.mjs; tsx runs the tests unchecked), build
// the CLI (end-to-end tests run the built bin), then run every test/**/*.test.ts, or the files
// given, with Node's own test runner through tsx.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function findTests(dir) {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return findTests(path);
    return entry.endsWith('.test.ts') ? [path] : [];
  });
}

const run = (cmd, args) => spawnSync(cmd, args, { stdio: 'inherit' }).status ?? 1;

if (run(process.execPath, ['scripts/check.mjs']) !== 0) process.exit(1);
if (run(process.execPath, ['scripts/build.mjs']) !== 0) process.exit(1);
const only = process.argv.slice(2);
const files = only.length > 0 ? only : findTests('test').sort();
process.exit(run(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', ...files]));
