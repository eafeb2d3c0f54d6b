// Several servers in one command, half-finished logins, damaged state and pasteable output
// (issue #13), against the real peers: a failing server never stops the others, a login whose
// config rewrite failed is finished without a browser, and one damaged state file never stops Codex.
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { execa } from 'execa';
import { serverFileName } from '../../src/store/names.ts';
import { createSandbox, runCli, serverStateFile } from './harness.ts';
import { asUnprivileged, authorizationRequests, freePort, storedState, withLayout, type Layout } from './fixtures.ts';

/** The line login writes for the Codex these tests find on PATH (0.152+: Codex runs codex-auth's helper). */
const HELPER_LINE = /\nhttp_headers_helper = ".* headers demo .*"\n/;

async function addBrokenServer(layout: Layout, name = 'broken'): Promise<string> {
  const url = `http://127.0.0.1:${await freePort()}/mcp`;
  writeFileSync(layout.sandbox.configPath, `${layout.sandbox.readConfig()}\n[mcp_servers.${name}]\nurl = "${url}"\n`);
  return url;
}

describe('many servers, one command: a failing server does not stop the others', () => {
  it('login with no names logs in to the others, prints a summary and exits with the failure\'s code', async () => {
    await withLayout({}, async (layout) => {
      await addBrokenServer(layout);
      const result = await runCli(layout.sandbox, ['login'], { env: { BROWSER: layout.browser() } });
      assert.equal(result.code, 8, result.stderr);
      assert.match(result.stderr, /^error: broken: probing the server: Could not reach/m);
      assert.match(result.stderr, /✓ demo: logged in/);
      assert.match(result.stderr, /✗ 1 of 2 servers ready; failed: broken$/m);
      assert.ok(storedState(layout.sandbox)?.grant, 'demo logged in');
      assert.match(layout.sandbox.readConfig(), HELPER_LINE, 'and its entry wired');
    });
  });

  it('login --json with a failing server first: a complete document, and the next server still logged in', async () => {
    await withLayout({}, async (layout) => {
      await addBrokenServer(layout);
      const result = await runCli(layout.sandbox, ['login', 'broken', 'nosuch', 'demo', '--json'], { env: { BROWSER: layout.browser() } });
      assert.equal(result.code, 8, 'the first failure\'s code');
      const report = JSON.parse(result.stdout) as { ok: boolean; servers: Array<{ server: string; status: string; error?: { step: string; exitCode: number; hint?: string } }> };
      assert.equal(report.ok, false);
      assert.deepEqual(report.servers.map(({ server, status }) => `${server} ${status}`), ['broken failed', 'nosuch failed', 'demo logged-in']);
      assert.equal(report.servers[0]!.error?.step, 'probe');
      assert.equal(report.servers[0]!.error?.exitCode, 8);
      assert.equal(report.servers[1]!.error?.exitCode, 3);
      assert.ok(storedState(layout.sandbox)?.grant);
    });
  });

  it('logout goes on past an unknown name; doctor reports every server', async () => {
    await withLayout({}, async (layout) => {
      await addBrokenServer(layout);
      assert.equal((await runCli(layout.sandbox, ['login', 'demo'], { env: { BROWSER: layout.browser() } })).code, 0);
      const doctor = await runCli(layout.sandbox, ['doctor', '--json']);
      assert.equal(doctor.code, 8);
      const reports = JSON.parse(doctor.stdout) as Array<{ server: string; ok: boolean; error?: { step: string } }>;
      assert.deepEqual(reports.map(({ server, ok }) => `${server} ${ok}`), ['demo true', 'broken false']);
      const human = await runCli(layout.sandbox, ['doctor', 'broken', 'demo']);
      assert.equal(human.code, 8);
      assert.match(human.stdout, /✓ plan/);
      assert.match(human.stderr, /✗ 1 of 2 servers passed discovery; failed: broken/);
      const logout = await runCli(layout.sandbox, ['logout', 'nosuch', 'demo', '--json']);
      assert.equal(logout.code, 3, logout.stderr);
      assert.match(logout.stderr, /^error: nosuch: state: codex-auth knows nothing of nosuch/m);
      assert.match(logout.stderr, /✓ demo: logged out/);
      const report = JSON.parse(logout.stdout) as { ok: boolean; servers: Array<{ server: string; status: string }> };
      assert.deepEqual(report.servers.map(({ server, status }) => `${server} ${status}`), ['nosuch failed', 'demo logged-out']);
      assert.equal(storedState(layout.sandbox), undefined);
    });
  });

  it('a disabled entry: status says so, login without names skips it, and both agree', async () => {
    await withLayout({ entryToml: 'enabled = false' }, async (layout) => {
      const status = await runCli(layout.sandbox, ['status']);
      assert.match(status.stdout, /^demo {2}not logged in {2}\(disabled in config\.toml\)/m);
      assert.doesNotMatch(status.stdout, /next: +codex-auth login demo/);
      const login = await runCli(layout.sandbox, ['login', '--json'], { env: { BROWSER: layout.browser() } });
      assert.equal(login.code, 0, login.stderr);
      assert.deepEqual((JSON.parse(login.stdout) as { servers: unknown[] }).servers, [{ server: 'demo', status: 'skipped-disabled' }]);
      assert.equal(authorizationRequests(layout.auth).length, 0);
    });
  });
});

describe('no half-finished logins', () => {
  it('a rewrite that fails after the browser login keeps the tokens; status says not wired up; a plain login finishes it without a browser; unpatch then login too', async () => {
    await withLayout({}, async (layout) => {
      const original = layout.sandbox.readConfig();
      const browser = layout.browser();
      const uid = asUnprivileged(layout);
      const cli = (args: string[], env: NodeJS.ProcessEnv = {}) => runCli(layout.sandbox, args, { env, ...(uid === undefined ? {} : { uid }) });
      chmodSync(layout.sandbox.codexHome, 0o555);
      const failed = await cli(['login', 'demo'], { BROWSER: browser });
      assert.equal(failed.code, 9, failed.stderr);
      assert.match(failed.stderr, /^error: demo: config rewrite: logged in \(the tokens are kept\), but the config entry is not wired up: could not write .*config\.toml/m);
      assert.match(failed.stderr, /next: fix that, then run codex-auth login to finish wiring without a browser/);
      assert.equal(layout.sandbox.readConfig(), original, 'config untouched');
      assert.ok(storedState(layout.sandbox)?.grant, 'tokens kept');
      assert.equal(storedState(layout.sandbox)?.rewrite, undefined, 'no record of a wiring that did not land');

      const status = await cli(['status', '--json']);
      const demo = (JSON.parse(status.stdout) as { servers: Array<{ name: string; loggedIn: boolean; wired: boolean }> }).servers.find((server) => server.name === 'demo')!;
      assert.deepEqual([demo.loggedIn, demo.wired], [true, false]);
      const text = await cli(['status']);
      assert.match(text.stdout, /problem: {2}the config entry is not wired up/);
      assert.match(text.stdout, /next: {5}codex-auth login {2}\(finishes the wiring, no browser needed\)/);

      chmodSync(layout.sandbox.codexHome, 0o755);
      const browserVisits = authorizationRequests(layout.auth).length;
      const tokenRequests = layout.auth.tokenRequests().length;
      const finished = await cli(['login']);
      assert.equal(finished.code, 0, finished.stderr);
      assert.match(finished.stderr, /✓ demo: already logged in; config entry wired up: Codex asks codex-auth for it \(http_headers_helper\)/);
      assert.match(layout.sandbox.readConfig(), HELPER_LINE);
      const helped = await cli(['status', '--json']);
      assert.equal((JSON.parse(helped.stdout) as { servers: Array<{ name: string; wired: boolean }> }).servers.find((server) => server.name === 'demo')?.wired, true);

      assert.equal((await cli(['unpatch'])).code, 0);
      assert.equal(layout.sandbox.readConfig(), original);
      const rewired = await cli(['login', '--json']);
      assert.equal(rewired.code, 0, rewired.stderr);
      assert.deepEqual((JSON.parse(rewired.stdout) as { servers: Array<{ server: string; status: string; wiring?: string }> }).servers.map(({ server, status, wiring }) => ({ server, status, wiring })), [{ server: 'demo', status: 'wired-up', wiring: 'helper' }]);
      assert.match(layout.sandbox.readConfig(), HELPER_LINE);
      assert.equal(authorizationRequests(layout.auth).length, browserVisits, 'no browser round trip');
      assert.equal(layout.auth.tokenRequests().length, tokenRequests, 'no token request');
      const again = await cli(['login']);
      assert.match(again.stderr, /demo: already logged in \(use --force/);
    });
  });
});

describe('bad local state does not stop Codex', () => {
  it('a damaged state file is skipped with a warning naming it and the fix; run starts the command with the other server; status, login and logout keep working; logout removes it', async () => {
    await withLayout({}, async (layout) => {
      writeFileSync(layout.sandbox.configPath, `${layout.sandbox.readConfig()}\n[mcp_servers.second]\nurl = "https://second.example.com/mcp"\n`);
      assert.equal((await runCli(layout.sandbox, ['login', 'demo'], { env: { BROWSER: layout.browser() } })).code, 0);
      const damaged = serverStateFile(layout.sandbox, 'second');
      writeFileSync(damaged, '{"serverName": "second", "grant": {', { mode: 0o600 });
      const warning = new RegExp(`skipping the damaged state file ${damaged.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(.*\\); to fix: run codex-auth logout second \\(it removes the file\\), then codex-auth login second`);

      const run = await runCli(layout.sandbox, ['run', '--no-proxy', '--', 'sh', '-c', 'test -n "$CODEX_AUTH_DEMO_TOKEN" && echo demo-token-present']);
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /demo-token-present/);
      assert.match(run.stderr, warning);
      assert.equal(run.stderr.match(/skipping the damaged/g)?.length, 1, 'warned once');

      const status = await runCli(layout.sandbox, ['status']);
      assert.equal(status.code, 0, status.stderr);
      assert.match(status.stderr, warning);
      assert.match(status.stdout, /^demo {2}logged in/m);

      const relogin = await runCli(layout.sandbox, ['login', 'demo', '--force'], { env: { BROWSER: layout.browser() } });
      assert.equal(relogin.code, 0, relogin.stderr);

      const named = await runCli(layout.sandbox, ['login', 'second'], { env: { BROWSER: layout.browser() } });
      assert.equal(named.code, 9, 'the damaged one itself is a storage error with the fix');
      assert.match(named.stderr, /next: run codex-auth logout second \(it removes the file\)/);

      const logout = await runCli(layout.sandbox, ['logout', 'second']);
      assert.equal(logout.code, 0, logout.stderr);
      assert.match(logout.stderr, /second: removed the damaged state file/);
      assert.equal(existsSync(damaged), false);
      writeFileSync(damaged, 'not json', { mode: 0o600 });
      const everything = await runCli(layout.sandbox, ['logout', '--json']);
      assert.equal(everything.code, 0, everything.stderr);
      assert.deepEqual((JSON.parse(everything.stdout) as { servers: Array<{ server: string; status: string }> }).servers.map(({ server, status }) => `${server} ${status}`), ['demo logged-out', 'second removed-damaged-state']);
      assert.equal(existsSync(damaged), false);
      assert.equal((await runCli(layout.sandbox, ['login', 'demo'], { env: { BROWSER: layout.browser() } })).code, 0);
      const clean = await runCli(layout.sandbox, ['run', '--no-proxy', '--', 'true']);
      assert.equal(clean.code, 0);
      assert.doesNotMatch(clean.stderr, /damaged/);
    });
  });
});

describe('commands people can paste', () => {
  it('status quotes a server name with a space and a state path with a space (as on macOS), and the lines work in sh', async () => {
    const sandbox = createSandbox();
    try {
      const stateDir = join(sandbox.root, 'Library', 'Application Support', 'codex-auth');
      mkdirSync(stateDir, { recursive: true, mode: 0o700 });
      writeFileSync(join(stateDir, 'env'), "PASTED_OK='yes'\n", { mode: 0o600 });
      sandbox.writeConfig('[mcp_servers."my server"]\nurl = "https://mcp.example.com/mcp"\n');
      const status = await runCli(sandbox, ['status'], { env: { CODEX_AUTH_HOME: stateDir } });
      assert.equal(status.code, 0, status.stderr);
      const next = /next: +(codex-auth login .*)$/m.exec(status.stdout)?.[1];
      assert.equal(next, "codex-auth login 'my server'");
      const words = await execa('sh', ['-c', `set -- ${next!.replace(/^codex-auth /, '')}; printf '%s\\n' "$@"`]);
      assert.deepEqual(String(words.stdout).split('\n'), ['login', 'my server']);
      const load = /\(load with: (.*)\)$/m.exec(status.stdout)?.[1];
      assert.ok(load?.includes("'"), load);
      const loaded = await execa('sh', ['-c', `${load}; printf %s "$PASTED_OK"`]);
      assert.equal(loaded.stdout, 'yes');

      const unknown = await runCli(sandbox, ['login', 'no such'], { env: { CODEX_AUTH_HOME: stateDir } });
      assert.match(unknown.stderr, /next: codex mcp add 'no such' --url <url>$/m);
      mkdirSync(join(stateDir, 'servers'), { recursive: true, mode: 0o700 });
      writeFileSync(join(stateDir, 'servers', `${serverFileName('my server')}.json`), JSON.stringify({ serverName: 'my server', needsLogin: { reason: 'the refresh token was rejected', since: 0 } }), { mode: 0o600 });
      const run = await runCli(sandbox, ['run', '--no-login', '--', 'true'], { env: { CODEX_AUTH_HOME: stateDir } });
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stderr, /Fix: codex-auth login 'my server'$/m);
    } finally {
      sandbox.cleanup();
    }
  });
});
