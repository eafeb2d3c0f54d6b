// Secret hygiene: a confidential client logs in, refreshes, reports status and logs
// out with --debug against the real authorization server; nothing it was issued or
// sent (tokens, client secret, codes, verifiers) shows up in any output. File modes
// of state, env file and locks; the callback listener's reach and single use.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { execa } from 'execa';
import { assertNoSecrets, capturedOutput, CLI, createSandbox, runCli } from '../e2e/harness.ts';
import { freePort, startLayout, storedState, type Layout } from '../e2e/fixtures.ts';
import { assertMode, expireStoredToken, issuedSecrets, recordTokenCommand } from './helpers.ts';
import { makeCallbackBrowser, startHostileServer, type ListenerReport } from './hostile-server.ts';

const CLIENT_SECRET = `client-secret-${Date.now()}-never-printed`;

describe('secret hygiene and file modes', () => {
  let layout: Layout | undefined;
  after(async () => layout?.close());

  it('login, refresh, status and logout with --debug print no token, code, verifier or client secret', async () => {
    const port = await freePort();
    layout = await startLayout({
      auth: { clients: [{ client_id: 'confidential', client_secret: CLIENT_SECRET, redirect_uris: [`http://127.0.0.1:${port}/callback`] }] },
    });
    const { sandbox } = layout;
    const env = { BROWSER: layout.browser(), MY_CLIENT_SECRET: CLIENT_SECRET };
    const states = [];

    const login = await runCli(sandbox, ['login', 'demo', '--debug', '--client-id', 'confidential', '--client-secret-env', 'MY_CLIENT_SECRET', '--callback-port', String(port)], { env });
    assert.equal(login.code, 0, login.stderr);
    assert.match(login.stderr, /debug: POST .*\/token -> 200/, 'the debug trail was on');
    states.push(storedState(sandbox));
    assert.equal(states[0]?.grant?.client.clientSecret, CLIENT_SECRET);

    expireStoredToken(sandbox);
    const tokenFile = join(sandbox.root, 'token.txt');
    const run = await runCli(sandbox, ['run', '--debug', '--', ...recordTokenCommand(tokenFile)]);
    assert.equal(run.code, 0, run.stderr);
    states.push(storedState(sandbox));
    assert.equal(layout.auth.tokenRequests('refresh_token').length, 1);
    assert.equal(readFileSync(tokenFile, 'utf8'), states[1]?.grant?.tokens.accessToken);

    // The header helper prints the token on stdout, to Codex, by design: nothing on stderr.
    const helper = await execa(process.execPath, [CLI, 'headers', 'demo', '--debug'], { env: sandbox.env, extendEnv: false, reject: false, stdin: 'ignore' });
    assert.equal(helper.exitCode, 0, String(helper.stderr));
    assert.equal(String(helper.stdout), JSON.stringify({ Authorization: `Bearer ${states[1]?.grant?.tokens.accessToken}` }));
    capturedOutput.push(String(helper.stderr));

    // File modes while everything exists: 0700 directories, 0600 files.
    assertMode(sandbox.stateDir, 0o700);
    assertMode(join(sandbox.stateDir, 'servers'), 0o700);
    assertMode(join(sandbox.stateDir, 'servers', 'demo.json'), 0o600);
    assertMode(join(sandbox.stateDir, 'handouts'), 0o700);
    assertMode(join(sandbox.stateDir, 'handouts', 'demo.json'), 0o600);
    assertMode(join(sandbox.stateDir, 'locks'), 0o700);

    for (const args of [['status', '--debug'], ['status', '--json'], ['logout', 'demo', '--debug']]) {
      const result = await runCli(sandbox, args);
      assert.equal(result.code, 0, result.stderr);
    }

    const secrets = [CLIENT_SECRET, ...issuedSecrets(layout.auth, states)];
    const kinds = ['code', 'code_verifier', 'refresh_token'].map((field) => layout!.auth.requests.filter((request) => request.form?.[field]).length);
    assert.ok(kinds.every((count) => count > 0), 'codes, verifiers and refresh tokens were all sent, so all are scanned for');
    assertNoSecrets(capturedOutput, secrets);
    console.log(`# secret scan: ${secrets.length} secrets issued or sent, ${capturedOutput.length} captured outputs, none found`);
  });
});

describe('the callback listener', () => {
  it('binds 127.0.0.1 only, takes one valid callback and closes', async () => {
    const server = await startHostileServer();
    const sandbox = createSandbox();
    try {
      const reportFile = join(sandbox.root, 'listener.json');
      sandbox.writeConfig(`[mcp_servers.demo]\nurl = "${server.mcpUrl}"\n`);
      const browser = makeCallbackBrowser(sandbox.root);
      const login = await runCli(sandbox, ['login', 'demo'], { env: { BROWSER: browser, CALLBACK_MODE: 'probe-listener', CALLBACK_REPORT: reportFile } });
      assert.equal(login.code, 0, login.stderr);
      // The browser finishes its last probe after the CLI has exited.
      for (let waited = 0; !existsSync(reportFile) && waited < 5000; waited += 50) await delay(50);
      const report = JSON.parse(readFileSync(reportFile, 'utf8')) as ListenerReport;
      assert.deepEqual(report, { host: '127.0.0.1', ipv6: 'ECONNREFUSED', otherPath: 404, callback: 200, second: 'ECONNREFUSED' });
      assertNoSecrets(capturedOutput, [...server.secrets]);
    } finally {
      await server.close();
      sandbox.cleanup();
    }
  });
});
