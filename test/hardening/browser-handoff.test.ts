// Issue 17, item 9: another local user can read every process's command line
// (/proc/<pid>/cmdline). The browser is therefore handed the path of a 0600 page in the private
// state directory, never the authorization URL with its state, PKCE challenge and callback port;
// the page is gone once the login ends.
import assert from 'node:assert/strict';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createSandbox, runCli } from '../e2e/harness.ts';
import { storedState } from '../e2e/fixtures.ts';
import { makeCallbackBrowser, sendJson, startHostileServer } from './hostile-server.ts';

interface BrowserReport {
  argv: string[];
  file: string;
  mode: number;
  dirMode: number;
  page: string;
}

/** A $BROWSER that records what it was given (as /proc/<pid>/cmdline shows it), then acts as the browser. */
function recordingBrowser(dir: string, report: string): string {
  const browser = makeCallbackBrowser(dir);
  const script = join(dir, 'recording-browser.mjs');
  writeFileSync(
    script,
    `import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
const argv = readFileSync('/proc/self/cmdline', 'utf8').split('\\0').filter(Boolean).slice(2);
const file = argv[0].startsWith('file:') ? fileURLToPath(argv[0]) : undefined;
const seen = file ? { file, mode: statSync(file).mode & 0o777, dirMode: statSync(dirname(file)).mode & 0o777, page: readFileSync(file, 'utf8') } : {};
writeFileSync(${JSON.stringify(report)}, JSON.stringify({ argv, ...seen }));
spawnSync(${JSON.stringify(browser)}, argv, { stdio: 'inherit' });
`,
  );
  const command = join(dir, 'recording-browser.sh');
  writeFileSync(command, `#!/bin/sh\nexec '${process.execPath}' '${script}' "$@"\n`);
  chmodSync(command, 0o755);
  return command;
}

describe('the browser is handed a private page, not the authorization URL (item 9)', () => {
  it("the browser's argv holds no state, code_challenge or callback port; the page is 0600 in a 0700 directory and gone after the login", async () => {
    const server = await startHostileServer();
    const sandbox = createSandbox({ CALLBACK_MODE: 'ok' });
    try {
      const report = join(sandbox.root, 'browser-report.json');
      sandbox.writeConfig(`[mcp_servers.demo]\nurl = "${server.mcpUrl}"\n`);
      const result = await runCli(sandbox, ['login', 'demo'], { env: { BROWSER: recordingBrowser(sandbox.root, report), CODEX_AUTH_LOGIN_WAIT_MS: '20000' } });
      const seen = JSON.parse(readFileSync(report, 'utf8')) as BrowserReport;
      assert.equal(seen.argv.length, 1);
      assert.match(seen.argv[0]!, /^file:\/\/\/.*\/browser\/login-[0-9a-f]+\.html$/, 'the browser gets a page, not the authorization URL');
      assert.equal(result.code, 0, result.stderr);
      assert.ok(storedState(sandbox)?.grant, 'the login went through the page');
      const authorizationUrl = new URL(/<a id="continue" href="([^"]*)"/.exec(seen.page)![1]!.replaceAll('&amp;', '&'));
      const port = new URL(authorizationUrl.searchParams.get('redirect_uri')!).port;
      assert.ok(authorizationUrl.searchParams.get('state') && authorizationUrl.searchParams.get('code_challenge'), 'the page carries the whole URL');
      const shown = seen.argv.join(' ');
      for (const secret of ['state=', 'code_challenge', 'redirect_uri', `:${port}`, authorizationUrl.searchParams.get('state')!, authorizationUrl.searchParams.get('code_challenge')!]) {
        assert.ok(!shown.includes(secret), `argv shows ${secret}`);
      }
      assert.ok(seen.file.startsWith(sandbox.stateDir), 'the page is in the state directory');
      assert.equal(seen.mode.toString(8), '600');
      assert.equal(seen.dirMode.toString(8), '700');
      assert.match(seen.page, /<meta http-equiv="refresh" content="0;url=http:\/\/127\.0\.0\.1:\d+\/authorize\?[^"]*state=/);
      assert.match(seen.page, /location\.replace\("http:\/\/127\.0\.0\.1:\d+\/authorize\?/);
      assert.equal(existsSync(seen.file), false, 'the page is deleted once the login ends');
    } finally {
      sandbox.cleanup();
      await server.close();
    }
  });

  it('after the login, says which account the server logged in (from its JWT access token), never the token', async () => {
    const server = await startHostileServer();
    const browserHome = createSandbox();
    const sandbox = createSandbox({ CALLBACK_MODE: 'ok', BROWSER: makeCallbackBrowser(browserHome.root) });
    try {
      const claims = { sub: 'user-42', email: 'alice@example.com\u001b[2J', exp: Math.floor(Date.now() / 1000) + 3600 };
      const accessToken = ['{"alg":"none"}', JSON.stringify(claims), 'sig'].map((part) => Buffer.from(part).toString('base64url')).join('.');
      server.use({ token: ({ res }) => sendJson(res, 200, { access_token: accessToken, token_type: 'Bearer', expires_in: 3600, refresh_token: 'refresh-token-value-1' }) });
      sandbox.writeConfig(`[mcp_servers.demo]\nurl = "${server.mcpUrl}"\n`);
      const result = await runCli(sandbox, ['login', 'demo']);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stderr, new RegExp(`demo: logged in at ${server.origin.replace(/[.]/g, '\\.')} as alice@example\\.com\\[2J, token valid until`));
      assert.ok(!result.stderr.includes(accessToken) && !result.stderr.includes('\u001b'));
      const json = await runCli(sandbox, ['login', 'demo', '--force', '--json']);
      assert.equal((JSON.parse(json.stdout) as { servers: Array<{ account?: string }> }).servers[0]?.account, 'alice@example.com\u001b[2J');
      assert.ok(!json.stdout.includes('\u001b'), 'escaped in JSON');
    } finally {
      browserHome.cleanup();
      sandbox.cleanup();
      await server.close();
    }
  });
});
