// `npm test` runs scripts/check.mjs before any test: the type-check and the type-aware linter,
// with the project's own tsconfig.json and eslint.config.js. Proof that they stop the suite on
// the two bug classes tsx would let through (it strips types unchecked): a type error and a
// promise nobody awaits. Each case is a copy of the project's configuration in a temp folder
// with one source file, so the real tree is never touched.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Runs `script` (check.mjs or test.mjs) in a copy of the project's configuration holding src/sample.ts. */
function runOn(source: string, script: 'check.mjs' | 'test.mjs'): { code: number | null; output: string } {
  const project = mkdtempSync(join(tmpdir(), 'codex-auth-check-'));
  try {
    for (const file of ['package.json', 'tsconfig.json', 'eslint.config.js']) copyFileSync(join(ROOT, file), join(project, file));
    mkdirSync(join(project, 'scripts'));
    for (const file of ['check.mjs', 'test.mjs']) copyFileSync(join(ROOT, 'scripts', file), join(project, 'scripts', file));
    symlinkSync(join(ROOT, 'node_modules'), join(project, 'node_modules'), 'dir');
    mkdirSync(join(project, 'src'));
    writeFileSync(join(project, 'src', 'sample.ts'), source);
    const result = spawnSync(process.execPath, [join('scripts', script)], { cwd: project, encoding: 'utf8', timeout: 120_000 });
    return { code: result.status, output: `${result.stdout}${result.stderr}` };
  } finally {
    rmSync(project, { recursive: true, force: true });
  }
}

const FINE = `export async function answer(): Promise<number> {
  return 42;
}
export async function main(): Promise<void> {
  console.log(await answer());
}
`;

describe('npm test type-checks and lints before the tests', { timeout: 300_000 }, () => {
  it('passes a file with neither problem', () => {
    const result = runOn(FINE, 'check.mjs');
    assert.equal(result.code, 0, result.output);
  });

  it('fails on a type error, before any test runs', () => {
    const result = runOn(`${FINE}export const count: number = 'three';\n`, 'test.mjs');
    assert.notEqual(result.code, 0);
    assert.match(result.output, /src\/sample\.ts\(7,14\): error TS2322: Type 'string' is not assignable to type 'number'/);
    assert.match(result.output, /type-check \(tsc --noEmit\) failed: .*npm test runs no test until they pass/);
  });

  it('fails on a floating promise, before any test runs', () => {
    const result = runOn(FINE.replace('console.log(await answer());', 'console.log(await answer());\n  answer();'), 'test.mjs');
    assert.notEqual(result.code, 0);
    assert.match(result.output, /sample\.ts\n\s+6:3\s+error\s+Promises must be awaited.*@typescript-eslint\/no-floating-promises/);
    assert.match(result.output, /lint \(eslint\) failed: .*npm test runs no test until they pass/);
  });
});
