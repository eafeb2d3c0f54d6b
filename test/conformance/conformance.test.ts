// Runs the official MCP conformance suite's authorization scenarios against
// codex-auth's OAuth engine (scripts/conformance.mjs) and fails on any gap not
// listed in test/conformance/expected-failures.yml.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '../..');
const resultsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'codex-auth-conformance-test-'));
after(() => fs.rmSync(resultsDir, { recursive: true, force: true }));

test('the MCP conformance suite passes every authorization scenario not in the known-gaps list', () => {
  const run = spawnSync(process.execPath, ['scripts/conformance.mjs', '--results-dir', resultsDir], {
    cwd: root,
    encoding: 'utf8',
  });
  console.log(run.stdout);
  if (run.stderr) console.error(run.stderr);
  assert.equal(run.status, 0, 'conformance run had unexpected failures (table above)');
});
