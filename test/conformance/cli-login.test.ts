// The MCP conformance suite's scenarios whose servers answer initialize without a token and
// challenge later requests (auth/scope-step-up, auth/scope-retry-limit), driven through the CLI
// only (cli-client.ts: `login`, then a real MCP client using what `run` gives it). `login` must not
// call such a server open: the suite must see its initial authorization request, and the client
// must get through what the token covers (tools/list).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { CliClientReport } from './cli-client.ts';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const SUITE = 'node_modules/@modelcontextprotocol/conformance/dist/index.js';
/** 0.2.0-alpha.12: the suite with the authorization extensions' scenarios. */
const NEXT_SUITE = 'node_modules/conformance-next/dist/index.js';
const GLOB_SYNC_HOOK = './test/conformance/node20-globsync.mjs';
const work = mkdtempSync(join(tmpdir(), 'codex-auth-cli-conformance-'));
after(() => rmSync(work, { recursive: true, force: true }));

interface Check {
  id: string;
  status: 'SUCCESS' | 'FAILURE' | 'WARNING' | 'INFO';
  description: string;
  details?: Record<string, unknown>;
}

/** Runs one scenario of the pinned suite against cli-client.ts; returns the suite's checks and the client's report. */
function runScenario(scenario: string, suite = SUITE): { checks: Check[]; report: CliClientReport; output: string } {
  const outDir = join(work, scenario.replaceAll('/', '_'));
  const reportFile = join(work, `${scenario.replaceAll('/', '_')}-client.json`);
  const run = spawnSync(
    process.execPath,
    ['--import', GLOB_SYNC_HOOK, suite, 'client', '--command', 'node --import tsx test/conformance/cli-client.ts', '--scenario', scenario, '--timeout', '90000', '-o', outDir],
    { cwd: ROOT, encoding: 'utf8', env: { ...process.env, CODEX_AUTH_CLI_CLIENT_REPORT: reportFile } },
  );
  const output = `${run.stdout}\n${run.stderr}`;
  const checksFile = findFile(outDir, 'checks.json');
  assert.ok(checksFile, `the suite wrote no checks:\n${output}`);
  return { checks: JSON.parse(readFileSync(checksFile, 'utf8')) as Check[], report: JSON.parse(readFileSync(reportFile, 'utf8')) as CliClientReport, output };
}

function findFile(dir: string, name: string): string | undefined {
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) {
      const found = findFile(path, name);
      if (found) return found;
    } else if (entry === name) return path;
  }
  return undefined;
}

function check(checks: Check[], id: string): Check {
  const found = checks.find((item) => item.id === id);
  assert.ok(found, `no check ${id} in ${checks.map((item) => item.id).join(', ')}`);
  return found;
}

describe('conformance scenarios with an open initialize, through the CLI only', () => {
  it('auth/scope-step-up: login authorizes with the scope the server asks for; tools/list works with the token run gives', () => {
    const { checks, report, output } = runScenario('auth/scope-step-up');
    assert.equal(report.login.code, 0, report.login.stderr);
    assert.doesNotMatch(report.login.stderr, /needs no authorization/);
    const initial = check(checks, 'scope-step-up-initial');
    assert.equal(initial.status, 'SUCCESS', `${initial.description}\n${output}`);
    assert.equal(initial.details?.requestedScope, 'mcp:basic');
    assert.ok((report.client?.tools.length ?? 0) > 0, `tools/list accepted the token: ${JSON.stringify(report.client)}`);
  });

  it('auth/scope-retry-limit: login makes the initial authorization request, and no loop follows', () => {
    const { checks, report, output } = runScenario('auth/scope-retry-limit');
    assert.equal(report.login.code, 0, report.login.stderr);
    const attempts = checks.filter((item) => item.id === 'scope-retry-auth-attempt');
    assert.equal(attempts.length, 1, output);
    assert.equal(attempts[0]?.details?.requestedScope, 'mcp:admin');
    assert.equal(check(checks, 'scope-retry-limit').status, 'SUCCESS');
  });
});

/** Every check of the run passed (the suite's own verdict), and the MCP client got through with the token run gave it. */
function assertClean(checks: Check[], report: CliClientReport, output: string): void {
  const failed = checks.filter((item) => item.status === 'FAILURE' || item.status === 'WARNING');
  assert.deepEqual(failed.map((item) => `${item.id}: ${item.description}`), [], output);
  assert.equal(report.run?.code, 0, report.run?.stderr);
  assert.ok((report.client?.tools.length ?? 0) > 0, `tools/list accepted the token: ${JSON.stringify(report.client)}`);
}

describe('conformance extension scenarios, through the CLI only (login with flags, then run)', () => {
  it('auth/client-credentials-basic: --grant client_credentials with --client-secret-env', () => {
    const { checks, report, output } = runScenario('auth/client-credentials-basic', NEXT_SUITE);
    assert.equal(report.login.code, 0, report.login.stderr);
    assert.equal(check(checks, 'client-credentials-basic-auth').status, 'SUCCESS');
    assertClean(checks, report, output);
  });

  it('auth/client-credentials-jwt: --grant client_credentials with --private-key (private_key_jwt, ES256)', () => {
    const { checks, report, output } = runScenario('auth/client-credentials-jwt', NEXT_SUITE);
    assert.equal(report.login.code, 0, report.login.stderr);
    assert.equal(check(checks, 'client-credentials-jwt-verified').status, 'SUCCESS');
    assertClean(checks, report, output);
  });

  it('auth/wif-jwt-bearer: --grant jwt-bearer with --assertion-env', () => {
    const { checks, report, output } = runScenario('auth/wif-jwt-bearer', NEXT_SUITE);
    assert.equal(report.login.code, 0, report.login.stderr);
    assert.equal(check(checks, 'wif-assertion-verified').status, 'SUCCESS');
    assertClean(checks, report, output);
  });

  it('auth/enterprise-managed-authorization: --grant enterprise (token exchange at the IdP, then the JWT-bearer grant)', () => {
    const { checks, report, output } = runScenario('auth/enterprise-managed-authorization', NEXT_SUITE);
    assert.equal(report.login.code, 0, report.login.stderr);
    assert.equal(check(checks, 'complete-flow-token-exchange').status, 'SUCCESS');
    assert.equal(check(checks, 'complete-flow-jwt-bearer').status, 'SUCCESS');
    assertClean(checks, report, output);
  });
});
