// Issue 17, item 8: a token holding CR, LF or NUL cannot go into a header or the env file. A
// server issuing one fails that server's login only (clear error, nothing stored); one found
// stored (from before such tokens were refused) never stops `run` from launching: that server is
// skipped with a warning and the others get their tokens.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createSandbox, runCli, serverStateFile } from '../e2e/harness.ts';
import { storedState, type StoredGrant } from '../e2e/fixtures.ts';
import { codexBin } from '../peers/model-server.ts';
import { recordTokenCommand } from './helpers.ts';
import { makeCallbackBrowser, sendJson, startHostileServer } from './hostile-server.ts';

const BAD_TOKEN = 'abc\r\nX-Injected: 1\u0000';

describe('a token no header can carry', () => {
  it('is refused when issued: that server fails, the other logs in', async () => {
    const good = await startHostileServer();
    const bad = await startHostileServer();
    const sandbox = createSandbox();
    try {
      bad.use({ token: ({ res }, issued) => sendJson(res, 200, { ...issued(), access_token: BAD_TOKEN }) });
      sandbox.writeConfig(`[mcp_servers.bad]\nurl = "${bad.mcpUrl}"\n\n[mcp_servers.good]\nurl = "${good.mcpUrl}"\n`);
      const login = await runCli(sandbox, ['login'], { env: { BROWSER: makeCallbackBrowser(sandbox.root) } });
      assert.equal(login.code, 7, login.stderr);
      assert.match(login.stderr, /^error: bad: token exchange: The server issued an access token holding characters no HTTP header can carry .*; refusing it \(nothing was stored\)\.$/m);
      assert.ok(!login.stderr.includes('X-Injected'), 'the token is never printed');
      assert.equal(storedState(sandbox, 'bad')?.grant, undefined);
      assert.ok(storedState(sandbox, 'good')?.grant, 'the other server logged in');
    } finally {
      await Promise.all([good.close(), bad.close()]);
      sandbox.cleanup();
    }
  });

  it('found stored, it never stops run: that server is skipped with a warning, the others get their tokens', async () => {
    const good = await startHostileServer();
    const bad = await startHostileServer();
    // Variable wiring (Codex before the helper): the tokens go through the env file.
    const sandbox = createSandbox({ CODEX_AUTH_CODEX_BIN: codexBin('0.130') });
    try {
      sandbox.writeConfig(`[mcp_servers.bad]\nurl = "${bad.mcpUrl}"\n\n[mcp_servers.good]\nurl = "${good.mcpUrl}"\n`);
      const login = await runCli(sandbox, ['login'], { env: { BROWSER: makeCallbackBrowser(sandbox.root) } });
      assert.equal(login.code, 0, login.stderr);
      // As an older codex-auth stored it.
      const file = serverStateFile(sandbox, 'bad');
      const state = JSON.parse(readFileSync(file, 'utf8')) as StoredGrant;
      state.grant!.tokens.accessToken = BAD_TOKEN;
      writeFileSync(file, JSON.stringify(state));

      const tokenFile = join(sandbox.root, 'good-token.txt');
      const run = await runCli(sandbox, ['run', '--no-login', '--', ...recordTokenCommand(tokenFile, 'CODEX_AUTH_GOOD_TOKEN')]);
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stderr, /bad: .*its stored token holds characters no HTTP header can carry/);
      assert.equal(readFileSync(tokenFile, 'utf8'), storedState(sandbox, 'good')?.grant?.tokens.accessToken);
      assert.ok(!readFileSync(join(sandbox.stateDir, 'env'), 'utf8').includes('X-Injected'));
    } finally {
      await Promise.all([good.close(), bad.close()]);
      sandbox.cleanup();
    }
  });
});
