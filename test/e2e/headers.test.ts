// `codex-auth headers <name>` as Codex runs it: the exact command line from config.toml, through
// `sh -c`, in an environment cleared the way Codex clears it. What it prints, how it refreshes, how
// it fails, and what `status` and `doctor` then say about the wiring.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { execa } from 'execa';
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { listToolsWithToken } from '../peers/mcp-server.ts';
import { codexBin } from '../peers/model-server.ts';
import { expireStoredToken } from '../hardening/helpers.ts';
import { holdLock } from '../hardening/lock-holder.ts';
import { assertNoSecrets, runCli, serverStateFile } from './harness.ts';
import { ageStoredToken, authorizationRequests, helperLine, runAsCodex, storedState, withLayout, type Layout } from './fixtures.ts';

async function loggedIn(layout: Layout): Promise<string> {
  const login = await runCli(layout.sandbox, ['login', 'demo'], { env: { BROWSER: layout.browser() } });
  assert.equal(login.code, 0, login.stderr);
  return helperLine(layout.sandbox);
}

describe('codex-auth headers, as Codex runs it', () => {
  it('prints exactly the Authorization header as JSON, in a cleared environment, with a token the server accepts', async () => {
    await withLayout({}, async (layout) => {
      const command = await loggedIn(layout);
      assert.doesNotMatch(command, /eyJ|Bearer/, 'no secret on the command line (process listings show it)');
      const result = await runAsCodex(layout.sandbox, command);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stderr, '');
      const token = storedState(layout.sandbox)!.grant!.tokens.accessToken;
      assert.equal(result.stdout, JSON.stringify({ Authorization: `Bearer ${token}` }), 'that and nothing else');
      assert.deepEqual((await listToolsWithToken(layout.mcp.url, token)).sort(), ['echo', 'whoami']);
      assert.equal(layout.auth.tokenRequests('refresh_token').length, 0, 'a fresh token goes out as it is');
    });
  });

  it('refreshes an expired token under the lock, once, and hands out the new one', async () => {
    await withLayout({}, async (layout) => {
      const command = await loggedIn(layout);
      expireStoredToken(layout.sandbox);
      const results = await Promise.all(Array.from({ length: 5 }, () => runAsCodex(layout.sandbox, command)));
      results.forEach((result) => assert.equal(result.code, 0, result.stderr));
      assert.equal(layout.auth.tokenRequests('refresh_token').length, 1, 'five threads starting at once spend one refresh');
      const token = storedState(layout.sandbox)!.grant!.tokens.accessToken;
      assert.ok(results.every((result) => result.stdout === JSON.stringify({ Authorization: `Bearer ${token}` })));
    });
  });

  it('without a usable login: one line on stderr naming the server and the fix, exit 11, nothing on stdout; status shows it', async () => {
    await withLayout({}, async (layout) => {
      const command = await loggedIn(layout);
      const file = serverStateFile(layout.sandbox, 'demo');
      const state = JSON.parse((await import('node:fs')).readFileSync(file, 'utf8')) as Record<string, unknown>;
      delete state.grant;
      state.needsLogin = { reason: 'the server rejected the refresh token (invalid_grant)', since: Date.now() };
      writeFileSync(file, JSON.stringify(state));
      const result = await runAsCodex(layout.sandbox, command);
      assert.equal(result.code, 11);
      assert.equal(result.stdout, '');
      assert.equal(result.stderr, 'codex-auth: demo: the server rejected the refresh token (invalid_grant); next: codex-auth login demo\n');
      const status = JSON.parse((await runCli(layout.sandbox, ['status', '--json'])).stdout) as { servers: Array<{ name: string; helperFailure?: { exitCode: number; message: string } }> };
      assert.deepEqual(status.servers.find((server) => server.name === 'demo')?.helperFailure?.exitCode, 11);
      const text = await runCli(layout.sandbox, ['status']);
      assert.match(text.stdout, /helper: +failed at .* \(exit 11\): the server rejected the refresh token/);
    });
  });

  it('never hands the token to another server: a changed url in config.toml is refused', async () => {
    await withLayout({}, async (layout) => {
      const command = await loggedIn(layout);
      layout.sandbox.writeConfig(layout.sandbox.readConfig().replace(layout.mcp.url, 'https://elsewhere.example.com/mcp'));
      const result = await runAsCodex(layout.sandbox, command);
      assert.equal(result.code, 11);
      assert.equal(result.stdout, '');
      assert.match(result.stderr, /^codex-auth: demo: its url changed from .*next: codex-auth login demo\n$/);
    });
  });
  it('notices a same-length edit whose modification time touch put back (issue 17, item 10a)', async () => {
    await withLayout({}, async (layout) => {
      const command = await loggedIn(layout);
      const first = await runAsCodex(layout.sandbox, command);
      assert.equal(first.code, 0, first.stderr);
      // Same length, then the old modification time restored: size and mtime both say "unchanged".
      const reference = join(layout.sandbox.root, 'mtime-reference');
      writeFileSync(reference, '');
      await execa('touch', ['-r', layout.sandbox.configPath, reference]);
      const moved = layout.mcp.url.replace('127.0.0.1', '127.0.0.2');
      assert.equal(moved.length, layout.mcp.url.length);
      layout.sandbox.writeConfig(layout.sandbox.readConfig().replace(layout.mcp.url, moved));
      await execa('touch', ['-r', reference, layout.sandbox.configPath]);
      const result = await runAsCodex(layout.sandbox, command);
      assert.equal(result.stdout, '', 'no token for the edited url');
      assert.equal(result.code, 11);
      assert.match(result.stderr, /^codex-auth: demo: its url changed from /);
    });
  });

  it('a refresh another process holds up: the token that still works is handed out, and an expired one fails with a clear line, both well within Codex\'s 10 s wait', async () => {
    await withLayout({}, async (layout) => {
      const command = await loggedIn(layout);
      const holder = await holdLock(layout.sandbox.stateDir, 'demo');
      try {
        ageStoredToken(layout.sandbox, 30_000);
        const stored = storedState(layout.sandbox)!.grant!.tokens.accessToken;
        let started = Date.now();
        const due = await runAsCodex(layout.sandbox, command);
        const dueMs = Date.now() - started;
        assert.equal(due.code, 0, due.stderr);
        assert.equal(due.stdout, JSON.stringify({ Authorization: `Bearer ${stored}` }), 'the token on disk, which works for 30 s more');
        assert.ok(dueMs >= 2_900 && dueMs < 8_000, `waited for the other refresh ${dueMs} ms, within its bound`);
        assert.deepEqual((await listToolsWithToken(layout.mcp.url, stored)).sort(), ['echo', 'whoami']);

        ageStoredToken(layout.sandbox, -1_000);
        started = Date.now();
        const expired = await runAsCodex(layout.sandbox, command);
        assert.ok(Date.now() - started < 8_000, 'stopped on its own, before Codex would kill it');
        assert.equal(expired.code, 9);
        assert.equal(expired.stdout, '');
        assert.match(expired.stderr, /^codex-auth: demo: another codex-auth process has held the lock for demo for over 3 s; next: .*\n$/);
        assert.equal(layout.auth.tokenRequests('refresh_token').length, 0, 'the holder is the one refreshing');
      } finally {
        holder.process.kill('SIGKILL');
        await holder.process;
      }
    });
  });

  it('a server name and a state directory with spaces (the macOS state path): the line in config.toml works through sh -c', async () => {
    await withLayout({ serverName: '"my server"' }, async (layout) => {
      const stateDir = join(layout.sandbox.root, 'Library', 'Application Support', 'codex-auth');
      const login = await runCli(layout.sandbox, ['login', 'my server'], { env: { BROWSER: layout.browser(), CODEX_AUTH_HOME: stateDir } });
      assert.equal(login.code, 0, login.stderr);
      const command = helperLine(layout.sandbox, 'my server');
      assert.ok(command.includes("'my server'") && command.includes("'" + stateDir + "'"), command);
      const result = await runAsCodex(layout.sandbox, command);
      assert.equal(result.code, 0, result.stderr);
      const token = storedState({ ...layout.sandbox, stateDir }, 'my server')!.grant!.tokens.accessToken;
      assert.equal(result.stdout, JSON.stringify({ Authorization: `Bearer ${token}` }));
      assert.deepEqual((await listToolsWithToken(layout.mcp.url, token)).sort(), ['echo', 'whoami']);
    });
  });
});

describe('status and doctor: how Codex gets each token', () => {
  it('names the wiring and the Codex version it was chosen for, for the newest Codex and for 0.130', async () => {
    await withLayout({}, async (layout) => {
      await loggedIn(layout);
      const status = JSON.parse((await runCli(layout.sandbox, ['status', '--json'])).stdout) as {
        codex: { version?: string; runsHelper: boolean };
        servers: Array<{ name: string; wiring?: string; wiredFor?: string }>;
      };
      const demo = status.servers.find((server) => server.name === 'demo');
      assert.equal(demo?.wiring, 'helper');
      assert.match(demo?.wiredFor ?? '', /^0\.171\./);
      assert.equal(status.codex.runsHelper, true);
      const text = await runCli(layout.sandbox, ['status']);
      assert.match(text.stdout, /codex: +Codex runs codex-auth headers \(http_headers_helper\) \(chosen for Codex 0\.171\.\d+\)/);
      const old = await runCli(layout.sandbox, ['status'], { env: { CODEX_AUTH_CODEX_BIN: codexBin('0.130') } });
      assert.match(old.stdout, /codex 0\.130\.0 predates it, so codex-auth run passes the token per launch/);
      const doctor = JSON.parse((await runCli(layout.sandbox, ['doctor', 'demo', '--json'])).stdout) as { steps: Array<{ step: string; ok: boolean; detail: Record<string, unknown> }> };
      const codex = doctor.steps.find((step) => step.step === 'codex');
      assert.equal(codex?.ok, true);
      assert.equal(codex?.detail.wiring, 'helper');
    });
  });

  it('a helper line naming a node that has gone (an upgrade): status and doctor say so, and a plain login rewrites it without a browser', async () => {
    await withLayout({}, async (layout) => {
      const command = await loggedIn(layout);
      const gone = join(layout.sandbox.root, 'old-node', 'bin', 'node');
      const moved = command.replace(process.execPath, gone);
      assert.notEqual(moved, command);
      layout.sandbox.writeConfig(layout.sandbox.readConfig().replace(command, moved));
      assert.equal((await runAsCodex(layout.sandbox, moved)).code, 127, 'Codex would get "not found" from sh');

      const status = await runCli(layout.sandbox, ['status']);
      assert.match(status.stdout, /helper: +config\.toml runs it with another node or codex-auth than this one/);
      assert.match(status.stdout, /next: +codex-auth login +\(rewrites the line/);
      const doctor = JSON.parse((await runCli(layout.sandbox, ['doctor', 'demo', '--json'])).stdout) as { steps: Array<{ step: string; ok: boolean; detail: { problems?: string[] } }> };
      const codex = doctor.steps.find((step) => step.step === 'codex')!;
      assert.equal(codex.ok, false);
      assert.match(codex.detail.problems!.join('\n'), /another node or codex-auth than this one: run codex-auth login/);

      const login = await runCli(layout.sandbox, ['login']);
      assert.equal(login.code, 0, login.stderr);
      assert.match(login.stdout + login.stderr, /demo: already logged in; config entry wired up/);
      assert.equal(helperLine(layout.sandbox), command, 'this install\'s line is back, where it stood');
      assert.equal(authorizationRequests(layout.auth).length, 1, 'no second browser round trip');
      const result = await runAsCodex(layout.sandbox, command);
      assert.equal(result.code, 0, result.stderr);
      assert.doesNotMatch((await runCli(layout.sandbox, ['status'])).stdout, /another node or codex-auth/);
    });
  });

  it('an entry wired to the variable for Codex 0.130: with a newer Codex, status and doctor say a plain login switches it, and it does', async () => {
    await withLayout({}, async (layout) => {
      const login = await runCli(layout.sandbox, ['login', 'demo'], { env: { BROWSER: layout.browser(), CODEX_AUTH_CODEX_BIN: codexBin('0.130') } });
      assert.equal(login.code, 0, login.stderr);
      assert.match(layout.sandbox.readConfig(), /\nbearer_token_env_var = "CODEX_AUTH_DEMO_TOKEN"\n/);
      const status = await runCli(layout.sandbox, ['status']);
      assert.match(status.stdout, /can run the helper instead: codex-auth login switches the entry/);
      const doctor = JSON.parse((await runCli(layout.sandbox, ['doctor', 'demo', '--json'])).stdout) as { steps: Array<{ step: string; ok: boolean; detail: { problems?: string[] } }> };
      assert.match(doctor.steps.find((step) => step.step === 'codex')!.detail.problems!.join('\n'), /still reads a variable that only codex-auth run provides/);
      const again = await runCli(layout.sandbox, ['login']);
      assert.equal(again.code, 0, again.stderr);
      const command = helperLine(layout.sandbox);
      assert.doesNotMatch(layout.sandbox.readConfig(), /bearer_token_env_var/);
      assert.equal((await runAsCodex(layout.sandbox, command)).code, 0);
      assert.equal(authorizationRequests(layout.auth).length, 1, 'no second browser round trip');
    });
  });

  it('a running background server started with a token in its environment is named, with the restart command', async () => {
    await withLayout({}, async (layout) => {
      await loggedIn(layout);
      // A process standing in for Codex's background server, started the way an older setup did:
      // with the token in its environment (the real server is driven in the TUI tests).
      const standIn = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', 'app-server', '--listen', 'unix://'], {
        env: { PATH: process.env.PATH, CODEX_AUTH_DEMO_TOKEN: 'an-old-token-value' },
        stdio: 'ignore',
      });
      try {
        const daemonDir = join(layout.sandbox.codexHome, 'app-server-daemon');
        mkdirSync(daemonDir, { recursive: true });
        writeFileSync(join(daemonDir, 'daemon.pid'), JSON.stringify({ pid: standIn.pid }));
        const status = JSON.parse((await runCli(layout.sandbox, ['status', '--json'])).stdout) as { codex: { backgroundServer?: { pid: number; staleVariables: string[] } } };
        assert.deepEqual(status.codex.backgroundServer, { pid: standIn.pid, staleVariables: ['CODEX_AUTH_DEMO_TOKEN'] });
        const text = await runCli(layout.sandbox, ['status']);
        assert.match(text.stdout, /background server running \(pid \d+\), started with CODEX_AUTH_DEMO_TOKEN in its environment from an older setup/);
        assert.match(text.stdout, /next: +codex app-server daemon restart/);
        assertNoSecrets([text.stdout, text.stderr], ['an-old-token-value']);
        const doctor = await runCli(layout.sandbox, ['doctor', 'demo']);
        assert.match(doctor.stdout, /! codex[\s\S]*codex app-server daemon restart/);
      } finally {
        standIn.kill('SIGKILL');
      }
    });
  });
});
