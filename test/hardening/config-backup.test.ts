// Issue 17, item 10e: config.toml.codex-auth.bak keeps config.toml from before codex-auth's first
// edit, secrets in old http_headers included. unpatch says so, and removes it when asked.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { createSandbox, runCli } from '../e2e/harness.ts';
import { makeCallbackBrowser, startHostileServer } from './hostile-server.ts';

describe('the config backup', () => {
  it('unpatch names it and what it holds, and --remove-backup deletes it', async () => {
    const server = await startHostileServer();
    const sandbox = createSandbox();
    try {
      sandbox.writeConfig(`[mcp_servers.demo]\nurl = "${server.mcpUrl}"\nhttp_headers = { "X-Api-Key" = "old-gateway-key-1234" }\n`);
      const login = await runCli(sandbox, ['login', 'demo'], { env: { BROWSER: makeCallbackBrowser(sandbox.root) } });
      assert.equal(login.code, 0, login.stderr);
      const backup = `${sandbox.configPath}.codex-auth.bak`;
      assert.match(readFileSync(backup, 'utf8'), /old-gateway-key-1234/, 'the backup holds the old header');

      const unpatch = await runCli(sandbox, ['unpatch']);
      assert.equal(unpatch.code, 0, unpatch.stderr);
      assert.ok(unpatch.stderr.includes(`note: ${backup} still holds config.toml as it was before codex-auth's first edit, secrets in its http_headers included; remove it with: codex-auth unpatch --remove-backup`), unpatch.stderr);
      assert.ok(existsSync(backup), 'a plain unpatch keeps it');

      const removed = await runCli(sandbox, ['unpatch', '--remove-backup', '--json']);
      assert.equal(removed.code, 0, removed.stderr);
      assert.deepEqual(JSON.parse(removed.stdout), { restored: [], backup: { path: backup, removed: true } });
      assert.ok(!existsSync(backup));
    } finally {
      await server.close();
      sandbox.cleanup();
    }
  });
});
