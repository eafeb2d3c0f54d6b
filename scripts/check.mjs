// `npm run check`, and the first step of `npm test`: the type-check (tsx runs the tests with the
// types stripped, unchecked) and the type-aware linter, both over src/, test/ and scripts/ as
// tsconfig.json and eslint.config.js define them. Exits non-zero on the first that fails.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const bin = (name) => join('node_modules', '.bin', name);
const checks = [
  ['type-check (tsc --noEmit)', bin('tsc'), ['--noEmit', '--pretty', 'false']],
  ['lint (eslint)', bin('eslint'), ['.', '--max-warnings', '0']],
];

for (const [name, command, args] of checks) {
  const status = spawnSync(command, args, { stdio: 'inherit' }).status ?? 1;
  if (status !== 0) {
    process.stderr.write(`\n${name} failed: fix the errors above (npm test runs no test until they pass)\n`);
    process.exit(status);
  }
}
