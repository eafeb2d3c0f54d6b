// Runs the official MCP conformance suite's authorization scenarios against
// codex-auth's OAuth engine (test/conformance/client.ts), for every pinned
// suite version, one scenario at a time, and prints one table.
//
//   node scripts/conformance.mjs [--client engine|sdk] [--results-dir DIR] [--scenario NAME]
//
// Scenarios: all `auth/*` client scenarios a version lists, except extensions;
// that is the `auth` suite plus the authorization scenarios of `draft` and
// `backcompat`. Results go to DIR/<version>/<scenario>/…/checks.json (DIR
// defaults to a new temp folder). Exits non-zero on any failing scenario not
// listed in test/conformance/expected-failures.yml, and on listed ones that
// now pass where they apply (a stale baseline hides regressions).
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const globSyncHook = './test/conformance/node20-globsync.mjs';
const expectedFailuresFile = join(root, 'test/conformance/expected-failures.yml');
const suites = [
  { dir: 'node_modules/@modelcontextprotocol/conformance' },
  { dir: 'node_modules/conformance-next' },
];
const clients = {
  engine: 'node --import tsx test/conformance/client.ts',
  sdk: 'node --import tsx test/conformance/sdk-reference-client.ts',
};
// Two cores: one scenario per core. Each run starts its own servers on port 0.
const CONCURRENCY = 2;
const SCENARIO_TIMEOUT_MS = 30_000;

function suiteVersion(suite) {
  return JSON.parse(readFileSync(join(root, suite.dir, 'package.json'), 'utf8')).version;
}

function suiteArgs(suite, args) {
  return ['--import', globSyncHook, join(suite.dir, 'dist/index.js'), ...args];
}

/** `conformance list --client` lines look like `  - auth/metadata-default [2025-11-25,2026-07-28]`. */
function listAuthorizationScenarios(suite) {
  const result = spawnSync(process.execPath, suiteArgs(suite, ['list', '--client']), { cwd: root, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`conformance ${suite.dir} list failed:\n${result.stderr}`);
  return [...result.stdout.matchAll(/^\s*- (auth\/\S+) \[([^\]]*)\]$/gm)]
    .filter(([, , tags]) => tags !== 'extension')
    .map(([, name]) => name);
}

function runScenario(suite, version, scenario, command, resultsDir) {
  const outDir = join(resultsDir, version, scenario.replaceAll('/', '_'));
  mkdirSync(outDir, { recursive: true });
  const args = suiteArgs(suite, [
    'client', '--command', command, '--scenario', scenario, '--timeout', String(SCENARIO_TIMEOUT_MS), '-o', outDir,
  ]);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    const output = [];
    child.stdout.on('data', (chunk) => output.push(chunk));
    child.stderr.on('data', (chunk) => output.push(chunk));
    child.on('close', (code) => {
      writeFileSync(join(outDir, 'suite-output.txt'), Buffer.concat(output));
      resolve(summarise(version, scenario, code ?? 1, outDir));
    });
  });
}

function findChecksFile(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      const found = findChecksFile(path);
      if (found) return found;
    } else if (entry.name === 'checks.json') {
      return path;
    }
  }
  return undefined;
}

/** The suite's exit code also covers a client that crashed or timed out where it should not have. */
function summarise(version, scenario, exitCode, outDir) {
  const checksFile = findChecksFile(outDir);
  const checks = checksFile ? JSON.parse(readFileSync(checksFile, 'utf8')) : [];
  const count = (status) => checks.filter((check) => check.status === status).length;
  const problems = checks
    .filter((check) => check.status === 'FAILURE' || check.status === 'WARNING')
    .map((check) => `${check.status} ${check.id}: ${check.errorMessage ?? check.description}`);
  if (exitCode !== 0 && problems.length === 0) problems.push(`suite exited ${exitCode} (client error or timeout), see ${outDir}`);
  return {
    version, scenario, outDir,
    passed: count('SUCCESS'), failed: count('FAILURE'), warnings: count('WARNING'),
    ok: exitCode === 0 && problems.length === 0, problems,
  };
}

async function runAll(jobs) {
  const results = [];
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) results.push(await jobs[next++]());
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return results;
}

/**
 * The baseline: `client:` (the suite's format, every version) and
 * `client-by-suite-version:` (version -> scenarios), each entry a line
 * `- scenario  # reason`. Returns a lookup by version and scenario.
 */
function readExpectedFailures() {
  const everywhere = new Set();
  const byVersion = new Map();
  let section;
  let version;
  for (const line of readFileSync(expectedFailuresFile, 'utf8').split('\n')) {
    const key = /^([\w-]+):\s*(#.*)?$/.exec(line)?.[1];
    if (key !== undefined) [section, version] = [key, undefined];
    const versionKey = /^\s+"?([\w.-]+)"?:\s*(#.*)?$/.exec(line)?.[1];
    if (versionKey !== undefined && section === 'client-by-suite-version') version = versionKey;
    const scenario = /^\s+-\s+([^\s#]+)/.exec(line)?.[1];
    if (scenario === undefined) continue;
    if (section === 'client') everywhere.add(scenario);
    if (section === 'client-by-suite-version' && version !== undefined) {
      if (!byVersion.has(version)) byVersion.set(version, new Set());
      byVersion.get(version).add(scenario);
    }
  }
  return {
    has: (result) => everywhere.has(result.scenario) || (byVersion.get(result.version)?.has(result.scenario) ?? false),
    /** Entries that no longer fail anywhere they apply (a stale baseline hides regressions). */
    stale: (results) => [
      ...[...everywhere].filter((scenario) => !results.some((r) => r.scenario === scenario && !r.ok)),
      ...[...byVersion].flatMap(([v, scenarios]) =>
        [...scenarios].filter((scenario) => !results.some((r) => r.version === v && r.scenario === scenario && !r.ok)).map((scenario) => `${scenario} (${v})`),
      ),
    ],
  };
}

function verdict(result, expected) {
  if (result.ok) return expected.has(result) ? 'pass (listed)' : 'pass';
  return expected.has(result) ? 'expected failure' : 'FAIL';
}

function printTable(results, expected) {
  const header = ['version', 'scenario', 'passed', 'failed', 'warnings', 'verdict'];
  const rows = results.map((r) => [r.version, r.scenario, r.passed, r.failed, r.warnings, verdict(r, expected)].map(String));
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells) => cells.map((cell, i) => (i >= 2 && i <= 4 ? cell.padStart(widths[i]) : cell.padEnd(widths[i]))).join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of rows) console.log(line(row));
}

function printProblems(results, expected) {
  for (const result of results.filter((r) => !r.ok)) {
    const tag = expected.has(result) ? 'expected' : 'UNEXPECTED';
    console.log(`\n[${tag}] ${result.version} ${result.scenario}`);
    for (const problem of result.problems) console.log(`  - ${problem}`);
  }
}

async function main() {
  const { values } = parseArgs({
    options: {
      client: { type: 'string', default: 'engine' },
      'results-dir': { type: 'string' },
      scenario: { type: 'string' },
    },
  });
  const command = clients[values.client];
  if (!command) throw new Error(`--client must be one of ${Object.keys(clients).join(', ')}`);
  const resultsDir = values['results-dir'] ?? mkdtempSync(join(tmpdir(), 'codex-auth-conformance-'));
  const expected = readExpectedFailures();

  const jobs = suites.flatMap((suite) => {
    const version = suiteVersion(suite);
    return listAuthorizationScenarios(suite)
      .filter((scenario) => values.scenario === undefined || scenario === values.scenario)
      .map((scenario) => () => runScenario(suite, version, scenario, command, resultsDir));
  });
  const order = (r) => `${r.version} ${r.scenario}`;
  const results = (await runAll(jobs)).sort((a, b) => order(a).localeCompare(order(b)));

  printTable(results, expected);
  printProblems(results, expected);
  const unexpected = results.filter((r) => !r.ok && !expected.has(r));
  const stale = values.scenario === undefined ? expected.stale(results) : [];
  for (const scenario of stale) console.log(`\nstale baseline entry (passes everywhere, remove it): ${scenario}`);
  console.log(`\nresults: ${resultsDir}`);
  const passed = results.filter((r) => r.ok).length;
  console.log(`conformance: ${passed} passed, ${results.length - passed} failed`);
  process.exit(unexpected.length > 0 || stale.length > 0 ? 1 : 0);
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
