// `codex-auth doctor` against the real peers: every URL tried with its answer,
// the plan (resource, scope, client), the same in --json, a broken server
// named by its step, and no side effects (nothing stored, nothing registered,
// config untouched).
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { createSandbox, runCli } from './harness.ts';
import { freePort, startLayout, withLayout, type Layout } from './fixtures.ts';
import { REAL_SERVERS } from './real-servers.ts';

interface DoctorReport {
  server: string;
  url: string;
  ok: boolean;
  requests: Array<{ method: string; url: string; status: number | string }>;
  steps: Array<{ step: string; ok: boolean; detail: Record<string, unknown> }>;
  error?: { step: string; message: string; hint?: string };
}

/** Doctor must leave no trace: no state, no registration, the config as it was. */
function assertNoSideEffects(layout: Layout, configBefore: string): void {
  const stored = existsSync(layout.sandbox.stateDir) ? readdirSync(layout.sandbox.stateDir, { recursive: true }) : [];
  assert.deepEqual(stored.filter((entry) => String(entry).endsWith('.json')), [], 'nothing stored');
  assert.deepEqual(layout.auth.registrations(), [], 'no client registered');
  assert.equal(layout.auth.tokenRequests().length, 0, 'no token requested');
  assert.equal(layout.sandbox.readConfig(), configBefore, 'config untouched');
}

describe('doctor: a server that follows the spec (user report 1 layout: root metadata, resource = origin)', () => {
  let layout: Layout;
  let configBefore: string;
  before(async () => {
    layout = await startLayout({ mcp: { prmAt: ['root'], resource: (origin) => origin, scopesSupported: ['mcp:read'] } });
    configBefore = layout.sandbox.readConfig();
  });
  after(() => layout.close());

  it('lists every URL tried with its status, then the plan', async () => {
    const result = await runCli(layout.sandbox, ['doctor', 'demo']);
    assert.equal(result.code, 0, result.stderr);
    const { mcp, auth } = layout;
    const lines = result.stdout.split('\n');
    const tried = (method: string, url: string, status: number) =>
      assert.ok(lines.some((line) => line.trim().split(/\s+/).join(' ') === `${method} ${url} -> ${status}`), `${method} ${url} -> ${status} in:\n${result.stdout}`);
    tried('POST', mcp.url, 401);
    tried('GET', `${mcp.origin}/.well-known/oauth-protected-resource/mcp`, 404);
    tried('GET', `${mcp.origin}/.well-known/oauth-protected-resource`, 200);
    tried('GET', `${auth.issuer}/.well-known/oauth-authorization-server`, 200);
    assert.match(result.stdout, /✓ plan/);
    assert.match(result.stdout, new RegExp(`resource: ${escape(mcp.resource)}$`, 'm'));
    assert.match(result.stdout, /scope: mcp:read offline_access$/m);
    assert.match(result.stdout, new RegExp(`client: dynamic registration at ${escape(auth.issuer)}/reg$`, 'm'));
    assertNoSideEffects(layout, configBefore);
  });

  it('--json has the same requests and plan', async () => {
    const result = await runCli(layout.sandbox, ['doctor', 'demo', '--json']);
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout) as DoctorReport;
    assert.equal(report.ok, true);
    assert.equal(report.server, 'demo');
    assert.deepEqual(
      report.requests.map((r) => `${r.method} ${r.url} ${r.status}`),
      [
        `POST ${layout.mcp.url} 401`,
        `GET ${layout.mcp.origin}/.well-known/oauth-protected-resource/mcp 404`,
        `GET ${layout.mcp.origin}/.well-known/oauth-protected-resource 200`,
        `GET ${layout.auth.issuer}/.well-known/oauth-authorization-server 200`,
      ],
    );
    assert.deepEqual(report.steps.map((s) => s.step), ['probe', 'resource-metadata', 'authorization-server-metadata', 'plan', 'codex']);
    const plan = report.steps.find((s) => s.step === 'plan')?.detail;
    assert.equal(plan?.resource, layout.mcp.resource);
    assert.equal(plan?.scope, 'mcp:read offline_access');
    assert.equal(plan?.client, `dynamic registration at ${layout.auth.issuer}/reg`);
    assertNoSideEffects(layout, configBefore);
  });
});

describe('doctor: a broken server', () => {
  let layout: Layout;
  let configBefore: string;
  before(async () => {
    layout = await startLayout({ auth: { metadataIssuerOverride: 'http://127.0.0.1:1/not-me' } });
    configBefore = layout.sandbox.readConfig();
  });
  after(() => layout.close());

  it('exits non-zero naming the failing step (issuer mismatch), after what did work', async () => {
    const result = await runCli(layout.sandbox, ['doctor', 'demo']);
    assert.equal(result.code, 4, 'discovery failure');
    assert.match(result.stdout, /✓ resource-metadata/);
    assert.match(result.stdout, /✗ authorization-server-metadata: .*names issuer "http:\/\/127\.0\.0\.1:1\/not-me"/);
    assert.doesNotMatch(result.stdout, /✓ plan/);
    assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
    assertNoSideEffects(layout, configBefore);
  });

  it('--json reports the step and the message, with the same exit code', async () => {
    const result = await runCli(layout.sandbox, ['doctor', 'demo', '--json']);
    assert.equal(result.code, 4);
    const report = JSON.parse(result.stdout) as DoctorReport;
    assert.equal(report.ok, false);
    assert.equal(report.error?.step, 'authorization-server-metadata');
    assert.match(report.error?.message ?? '', /not-me/);
    assert.deepEqual(report.steps.map((s) => s.step), ['probe', 'resource-metadata', 'codex']);
    assertNoSideEffects(layout, configBefore);
  });
});

describe('doctor: a server that cannot be reached', () => {
  it('names what failed (connection refused) in the request list and the error, as login does', async () => {
    const sandbox = createSandbox();
    try {
      const port = await freePort();
      sandbox.writeConfig(`[mcp_servers.demo]\nurl = "http://127.0.0.1:${port}/mcp"\n`);
      const result = await runCli(sandbox, ['doctor', 'demo']);
      assert.equal(result.code, 8, 'a network failure');
      assert.match(result.stdout, new RegExp(`POST http://127\\.0\\.0\\.1:${port}/mcp -> connection refused \\(connect ECONNREFUSED`));
      assert.doesNotMatch(result.stdout, /TypeError/);
      assert.match(result.stdout, /✗ probe: Could not reach 127\.0\.0\.1:\d+ \(probe\): connection refused/);
    } finally {
      sandbox.cleanup();
    }
  });
});

describe('doctor: servers that answer the first request without a token', () => {
  it('one that publishes resource metadata (Google) is protected: doctor says so and plans a login', async () => {
    await withLayout(REAL_SERVERS.google.layout, async (layout) => {
      const configBefore = layout.sandbox.readConfig();
      const result = await runCli(layout.sandbox, ['doctor', 'demo', '--json']);
      assert.equal(result.code, 0, result.stderr);
      const report = JSON.parse(result.stdout) as DoctorReport;
      assert.deepEqual(report.steps.map((s) => s.step), ['probe', 'resource-metadata', 'authorization-server-metadata', 'plan', 'codex']);
      assert.equal(report.steps[0]?.detail.needsAuthorization, false);
      assert.match(String(report.steps[1]?.detail.note), /publishes resource metadata: it challenges later requests/);
      assert.equal(report.steps[3]?.detail.client_name, 'codex-auth');
      assertNoSideEffects(layout, configBefore);
    });
  });

  it('one that publishes none needs no authorization', async () => {
    await withLayout({ mcp: { open: true } }, async (layout) => {
      const result = await runCli(layout.sandbox, ['doctor', 'demo']);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /conclusion: no authorization needed/);
      assert.doesNotMatch(result.stdout, /✓ plan/);
    });
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
