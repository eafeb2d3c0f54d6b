// Single-flight refresh across processes, against the real authorization server
// (oidc-provider) rotating refresh tokens and revoking the whole chain on reuse:
// many `codex-auth run` processes on an expired token spend one refresh token, whether
// the refreshed tokens live an hour, 10 minutes or 1 minute (shorter than any fixed margin).
// Also: a lock left by a SIGKILLed holder is broken, and a waiter gives up with exit 9.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, utimesSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { listToolsWithToken } from '../peers/mcp-server.ts';
import { assertNoSecrets, capturedOutput, runCli } from '../e2e/harness.ts';
import { startLayout, storedState, type Layout } from '../e2e/fixtures.ts';
import { expireStoredToken, issuedSecrets, recordTokenCommand, tokenFiles } from './helpers.ts';
import { holdLock } from './lock-holder.ts';

/** Concurrent `codex-auth run` processes started at once on the same expired token. */
export const CONCURRENT_RUNS = 20;

/** Access-token lifetimes of the authorization server, in seconds: an hour, 10 minutes, 1 minute. */
const LIFETIMES = [3600, 600, 60];

for (const lifetime of LIFETIMES) describe(`single-flight refresh across processes, ${lifetime / 60}-minute tokens`, () => {
  let layout: Layout;
  const states: Array<ReturnType<typeof storedState>> = [];

  before(async () => {
    layout = await startLayout({ auth: { rotateRefreshTokens: true, accessTokenTtlSeconds: lifetime } });
    const login = await runCli(layout.sandbox, ['login', 'demo'], { env: { BROWSER: layout.browser() } });
    assert.equal(login.code, 0, login.stderr);
    states.push(storedState(layout.sandbox));
  });

  after(async () => {
    const refreshes = layout.auth.tokenRequests('refresh_token').length;
    console.log(`# single-flight, ${lifetime} s tokens: ${CONCURRENT_RUNS} concurrent runs -> 1 refresh request; ${refreshes} refresh requests in all, all answered 200`);
    // Everything any test here printed, scanned for every token, code and verifier issued.
    assertNoSecrets(capturedOutput, issuedSecrets(layout.auth, states));
    await layout.close();
  });

  const refreshRequests = () => layout.auth.tokenRequests('refresh_token');

  /** Runs `count` `run` processes at once; returns the tokens their children received. */
  async function concurrentRuns(count: number, prefix: string): Promise<string[]> {
    const files = tokenFiles(layout.sandbox.root, count).map((file) => `${file}.${prefix}`);
    const results = await Promise.all(files.map((file) => runCli(layout.sandbox, ['run', '--', ...recordTokenCommand(file)])));
    results.forEach((result, i) => assert.equal(result.code, 0, `run ${i} failed: ${result.stderr}`));
    return files.map((file) => readFileSync(file, 'utf8'));
  }

  it(`${CONCURRENT_RUNS} concurrent runs on an expired token: one refresh request, every child gets an accepted token`, async () => {
    const before = storedState(layout.sandbox)!.grant!.tokens;
    expireStoredToken(layout.sandbox);
    const tokens = await concurrentRuns(CONCURRENT_RUNS, 'burst');
    states.push(storedState(layout.sandbox));

    assert.equal(refreshRequests().length, 1, 'exactly one refresh request reached the authorization server');
    const distinct = [...new Set(tokens)];
    assert.deepEqual(distinct, [storedState(layout.sandbox)!.grant!.tokens.accessToken], 'every child got the one refreshed token');
    assert.notEqual(distinct[0], before.accessToken);
    assert.deepEqual((await listToolsWithToken(layout.mcp.url, distinct[0]!)).sort(), ['echo', 'whoami']);
    assert.notEqual(storedState(layout.sandbox)!.grant!.tokens.refreshToken, before.refreshToken, 'the rotated refresh token was stored');
  });

  it('the refresh-token chain is still alive afterwards: one more refresh succeeds', async () => {
    expireStoredToken(layout.sandbox);
    const [token] = await concurrentRuns(1, 'after');
    states.push(storedState(layout.sandbox));
    assert.equal(refreshRequests().length, 2);
    assert.ok(refreshRequests().every((request) => request.status === 200), 'no refresh was refused (a reuse would revoke the chain)');
    assert.deepEqual((await listToolsWithToken(layout.mcp.url, token!)).sort(), ['echo', 'whoami']);
  });

  // The lock itself does not depend on token lifetimes.
  if (lifetime !== LIFETIMES[0]) return;

  it('a lock whose holder was SIGKILLed is detected as stale and broken', async () => {
    const holder = await holdLock(layout.sandbox.stateDir, 'demo');
    holder.process.kill('SIGKILL');
    await holder.process;
    assert.ok(existsSync(holder.lockDir), 'the crashed holder left its lock directory behind');
    // Nobody refreshes a dead holder's lock: age it past the 10 s stale bound instead of sleeping.
    const past = new Date(Date.now() - 30_000);
    utimesSync(holder.lockDir, past, past);
    expireStoredToken(layout.sandbox);
    const [token] = await concurrentRuns(1, 'stale');
    states.push(storedState(layout.sandbox));
    assert.equal(refreshRequests().length, 3);
    assert.deepEqual((await listToolsWithToken(layout.mcp.url, token!)).sort(), ['echo', 'whoami']);
    assert.ok(!existsSync(holder.lockDir), 'the lock was released after the refresh');
  });

  it('a waiter gives up after CODEX_AUTH_LOCK_WAIT_MS with a clear message and exit code 9', async () => {
    const holder = await holdLock(layout.sandbox.stateDir, 'demo');
    try {
      expireStoredToken(layout.sandbox);
      const file = `${tokenFiles(layout.sandbox.root, 1)[0]}.waiter`;
      const result = await runCli(layout.sandbox, ['run', '--', ...recordTokenCommand(file)], { env: { CODEX_AUTH_LOCK_WAIT_MS: '1500' } });
      assert.equal(result.code, 9, result.stderr);
      assert.match(result.stderr, /error: demo: .*lock.*another codex-auth process has held the lock for demo for over 1\.5 s/);
      assert.match(result.stderr, /next: if no other codex-auth is running, remove .*demo\.lock/);
      assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
      assert.ok(!existsSync(file), 'the command was not started');
      assert.equal(refreshRequests().length, 3, 'the waiter sent no refresh');
    } finally {
      holder.process.kill('SIGKILL');
      await holder.process;
    }
  });
});
