// Issue 17, item 5: a shell that loaded the env file keeps CODEX_AUTH_<NAME>_TOKEN; when the
// entry's url then changes, `run` must not pass that token on to the command (which would send it
// to the new server), and the env file drops the line. A token variable of a server codex-auth no
// longer knows is not passed on either.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createSandbox, runCli } from '../e2e/harness.ts';
import { codexBin } from '../peers/model-server.ts';
import { makeCallbackBrowser, startHostileServer } from './hostile-server.ts';

/** A child that writes the token variables it was given to a file, as JSON. */
function recordTokenVariables(file: string): string[] {
  const script = `const vars = Object.fromEntries(Object.entries(process.env).filter(([name]) => /^CODEX_AUTH_.*_TOKEN/.test(name))); require('node:fs').writeFileSync(process.argv[1], JSON.stringify(vars))`;
  return [process.execPath, '-e', script, file];
}

describe('a token for an old url', () => {
  it('is neither passed to the command by run nor kept in the env file once the url changed', async () => {
    const before = await startHostileServer();
    const after = await startHostileServer();
    const sandbox = createSandbox({ CODEX_AUTH_CODEX_BIN: codexBin('0.130') });
    try {
      sandbox.writeConfig(`[mcp_servers.demo]\nurl = "${before.mcpUrl}"\n`);
      const login = await runCli(sandbox, ['login', 'demo'], { env: { BROWSER: makeCallbackBrowser(sandbox.root) } });
      assert.equal(login.code, 0, login.stderr);
      const envFile = join(sandbox.stateDir, 'env');
      const token = /^CODEX_AUTH_DEMO_TOKEN='([^']+)'$/m.exec(readFileSync(envFile, 'utf8'))?.[1];
      assert.ok(token && before.secrets.has(token), 'the env file holds the token of the first server');

      sandbox.writeConfig(sandbox.readConfig().replace(before.mcpUrl, after.mcpUrl));
      const seen = join(sandbox.root, 'vars.json');
      // The shell loaded the env file earlier, and still has a variable of a server logged out since.
      const run = await runCli(sandbox, ['run', '--', ...recordTokenVariables(seen)], { env: { CODEX_AUTH_DEMO_TOKEN: token, CODEX_AUTH_GONE_TOKEN: 'old-token-of-a-forgotten-server' } });
      assert.equal(run.code, 0, run.stderr);
      assert.deepEqual(JSON.parse(readFileSync(seen, 'utf8')), {}, 'no token variable reached the command');
      assert.ok(!existsSync(envFile) || !readFileSync(envFile, 'utf8').includes(token), 'the env file no longer holds the old token');
    } finally {
      await Promise.all([before.close(), after.close()]);
      sandbox.cleanup();
    }
  });

  it('is dropped from the env file by every command that rewrites it, not only by run', async () => {
    const before = await startHostileServer();
    const after = await startHostileServer();
    const other = await startHostileServer();
    const sandbox = createSandbox({ CODEX_AUTH_CODEX_BIN: codexBin('0.130') });
    try {
      const browser = { BROWSER: makeCallbackBrowser(sandbox.root) };
      sandbox.writeConfig(`[mcp_servers.demo]\nurl = "${before.mcpUrl}"\n\n[mcp_servers.other]\nurl = "${other.mcpUrl}"\n`);
      const login = await runCli(sandbox, ['login'], { env: browser });
      assert.equal(login.code, 0, login.stderr);
      const envFile = join(sandbox.stateDir, 'env');
      const loggedIn = readFileSync(envFile, 'utf8');
      const token = /^CODEX_AUTH_DEMO_TOKEN='([^']+)'$/m.exec(loggedIn)?.[1];
      assert.ok(token && before.secrets.has(token), 'the env file holds the token of the first server');
      sandbox.writeConfig(sandbox.readConfig().replace(before.mcpUrl, after.mcpUrl));

      for (const command of [['login', 'other', '--force'], ['logout', 'other'], ['unpatch', 'other']]) {
        writeFileSync(envFile, loggedIn, { mode: 0o600 });
        const result = await runCli(sandbox, command, { env: browser });
        assert.equal(result.code, 0, `${command.join(' ')}: ${result.stderr}`);
        assert.ok(!readFileSync(envFile, 'utf8').includes(token), `${command.join(' ')} dropped the old token of demo from the env file`);
      }
      assert.equal(after.secrets.size, 0, 'the new server was never given a token');
    } finally {
      await Promise.all([before.close(), after.close(), other.close()]);
      sandbox.cleanup();
    }
  });
});
