// Secret hygiene: a confidential client logs in, refreshes, reports status and logs
// out with --debug against the real authorization server; nothing it was issued or
// sent (tokens, client secret, codes, verifiers) shows up in any output. File modes
// of state, env file and locks; the callback listener's reach and single use.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { execa } from 'execa';
import { assertNoSecrets, capturedOutput, CLI, createSandbox, runCli } from '../e2e/harness.ts';
import { freePort, keyClient, secretClient, startLayout, storedState, type Layout } from '../e2e/fixtures.ts';
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

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
}

describe('secret hygiene of logins with no person', () => {
  it('client credentials with a secret, then a private key: login, renewal by run and the helper, status and doctor with --debug print no secret, assertion or token, and only the state keeps the secret', async () => {
    const keyDir = mkdtempSync(join(tmpdir(), 'codex-auth-key-'));
    after(() => rmSync(keyDir, { recursive: true, force: true }));
    const { client, keyFile } = await keyClient(keyDir);
    const cc = await startLayout({ auth: { clientCredentials: true, clients: [secretClient('client_secret_basic', CLIENT_SECRET), client] } });
    after(async () => cc.close());
    const { sandbox } = cc;
    const outputs: string[] = [];
    const states = [];
    const step = async (args: string[], env: NodeJS.ProcessEnv = {}) => {
      const result = await runCli(sandbox, args, { env });
      assert.equal(result.code, 0, result.stderr);
      outputs.push(result.stdout, result.stderr);
      states.push(storedState(sandbox));
      return result;
    };
    await step(['login', 'demo', '--debug', '--grant', 'client_credentials', '--client-id', 'ci', '--client-secret-env', 'CI_SECRET'], { CI_SECRET: CLIENT_SECRET });
    const tokenFile = join(sandbox.root, 'token.txt');
    expireStoredToken(sandbox);
    await step(['run', '--debug', '--', ...recordTokenCommand(tokenFile)]);
    await step(['login', 'demo', '--debug', '--grant', 'client_credentials', '--client-id', 'ci-key', '--private-key', keyFile]);
    expireStoredToken(sandbox);
    const helper = await execa(process.execPath, [CLI, 'headers', 'demo', '--debug'], { env: sandbox.env, extendEnv: false, reject: false, stdin: 'ignore' });
    assert.equal(helper.exitCode, 0, String(helper.stderr));
    outputs.push(String(helper.stderr));
    states.push(storedState(sandbox));
    for (const args of [['status', '--debug'], ['status', '--json'], ['doctor', 'demo', '--debug', '--json']]) await step(args);

    const assertions = cc.auth.requests.flatMap((request) => request.form?.client_assertion ?? []);
    assert.equal(assertions.length, 2, 'the key login and the helper\'s renewal each signed one');
    assert.equal(cc.auth.tokenRequests('client_credentials').length, 4, 'two logins, two renewals');
    const secrets = [CLIENT_SECRET, ...assertions, ...issuedSecrets(cc.auth, states)];
    assertNoSecrets(outputs, secrets);
    const holding = (wanted: string[]) => filesUnder(sandbox.root).filter((path) => wanted.some((secret) => readFileSync(path, 'utf8').includes(secret)));
    const outsideState = holding(secrets).filter((path) => !path.startsWith(`${sandbox.stateDir}/`));
    assert.deepEqual(outsideState.filter((path) => path !== tokenFile), [], 'no secret outside codex-auth\'s state (but the token the test\'s command wrote)');
    assert.deepEqual(holding([CLIENT_SECRET, ...assertions]), [], 'after the key login, the secret is gone from the state too, and no assertion was ever kept');
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
