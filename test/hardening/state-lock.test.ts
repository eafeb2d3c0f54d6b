// Issue 17, item 10c: state writes outside refresh and login (here unpatch's, which forgets the
// rewrite record) take the server's lock. A second process holds that lock while it rotates the
// refresh token, as a refresh does, and writes the file it read under the lock: the state write
// must wait for it and then keep both changes, the rotated token and its own.
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { createSandbox, runCli, serverStateFile } from '../e2e/harness.ts';
import type { StoredGrant } from '../e2e/fixtures.ts';
import { holdLock } from './lock-holder.ts';
import { makeCallbackBrowser, startHostileServer } from './hostile-server.ts';

describe('a state write outside refresh and login', () => {
  it('waits for another process rotating the refresh token under the lock, and keeps the rotated token', async () => {
    const server = await startHostileServer();
    const sandbox = createSandbox();
    try {
      sandbox.writeConfig(`[mcp_servers.demo]\nurl = "${server.mcpUrl}"\n`);
      const login = await runCli(sandbox, ['login', 'demo'], { env: { BROWSER: makeCallbackBrowser(sandbox.root) } });
      assert.equal(login.code, 0, login.stderr);
      const file = serverStateFile(sandbox, 'demo');

      const refresher = await holdLock(sandbox.stateDir, 'demo');
      const underLock = JSON.parse(readFileSync(file, 'utf8')) as StoredGrant;
      assert.ok(underLock.rewrite, 'the entry is wired');
      const unpatch = runCli(sandbox, ['unpatch', 'demo']);
      await delay(1500);
      underLock.grant!.tokens.refreshToken = 'rotated-refresh-token-0123456789';
      writeFileSync(file, JSON.stringify(underLock, null, '\t'), { mode: 0o600 });
      refresher.process.kill('SIGKILL');
      await refresher.process;
      rmSync(refresher.lockDir, { recursive: true, force: true });

      const result = await unpatch;
      assert.equal(result.code, 0, result.stderr);
      const after = JSON.parse(readFileSync(file, 'utf8')) as StoredGrant;
      assert.equal(after.grant?.tokens.refreshToken, 'rotated-refresh-token-0123456789', 'the rotated refresh token is kept');
      assert.equal(after.rewrite, undefined, "unpatch's own change is there too");
    } finally {
      await server.close();
      sandbox.cleanup();
    }
  });
});
