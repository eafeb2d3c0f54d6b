// Through `alias codex='codex-auth run -- codex'`, Codex's own commands behave as without it:
// `codex mcp login|logout <name>` get codex-auth's login and logout (the correct flow, on old
// Codex too), `codex mcp list|get` show the real server URLs, and everything else that needs no
// token (`--version`, `login`, `app-server ...`) starts untouched, even with a broken config.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { codexBin } from '../peers/model-server.ts';
import { runCli } from './harness.ts';
import { authorizationRequests, storedState, withLayout } from './fixtures.ts';

const codexThroughAlias = (args: string[]) => ['run', '--', 'codex', ...args];

describe('the alias and Codex\'s own commands', () => {
  for (const version of ['latest', '0.130'] as const) {
    it(`codex ${version}: mcp login runs codex-auth's login (resource sent), mcp list shows the real url, mcp logout logs out`, async () => {
      await withLayout({}, async (layout) => {
        const env = { BROWSER: layout.browser(), ...(version === '0.130' ? { CODEX_AUTH_CODEX_BIN: codexBin('0.130') } : {}) };
        const login = await runCli(layout.sandbox, codexThroughAlias(['mcp', 'login', 'demo', '--scopes', 'mcp:read']), { env });
        assert.equal(login.code, 0, login.stderr);
        assert.match(login.stderr, /demo: logged in/);
        const [authorization] = authorizationRequests(layout.auth);
        assert.deepEqual(authorization?.query.resource, [layout.mcp.resource], 'RFC 8707 resource on the authorization request, once');
        assert.deepEqual(authorization?.query.scope, ['mcp:read'], 'the --scopes of codex mcp login are honoured');
        assert.ok(storedState(layout.sandbox)?.grant, 'codex-auth holds the login');

        const listed = await runCli(layout.sandbox, codexThroughAlias(['mcp', 'list', '--json']), { env });
        assert.equal(listed.code, 0, listed.stderr);
        const demo = (JSON.parse(listed.stdout) as Array<{ name: string; transport: { url?: string } }>).find((server) => server.name === 'demo');
        assert.equal(demo?.transport.url, layout.mcp.url, 'the real url, never a proxy');

        const logout = await runCli(layout.sandbox, codexThroughAlias(['mcp', 'logout', 'demo']), { env });
        assert.equal(logout.code, 0, logout.stderr);
        assert.match(logout.stderr, /demo: logged out/);
        assert.equal(storedState(layout.sandbox), undefined);
      });
    });
  }

  it('codex mcp login with the entry\'s scopes and oauth_resource as -c overrides (the Fastmail report\'s third try): honoured, resource sent once', async () => {
    await withLayout({}, async (layout) => {
      const login = await runCli(
        layout.sandbox,
        codexThroughAlias(['mcp', 'login', 'demo', '-c', 'mcp_servers.demo.scopes=["mcp:write"]', '-c', `mcp_servers.demo.oauth_resource="${layout.mcp.resource}"`]),
        { env: { BROWSER: layout.browser() } },
      );
      assert.equal(login.code, 0, login.stderr);
      assert.doesNotMatch(login.stderr, /ignores/);
      const [authorization] = authorizationRequests(layout.auth);
      assert.deepEqual(authorization?.query.scope, ['mcp:write']);
      assert.deepEqual(authorization?.query.resource, [layout.mcp.resource]);
      assert.deepEqual(storedState(layout.sandbox)?.grant?.tokens.scopes, ["mcp:write"]);
    });
  });

  it('codex --version, login status and app-server help start untouched, even when config.toml does not parse', async () => {
    await withLayout({}, async (layout) => {
      layout.sandbox.writeConfig('this is = not [valid toml\n');
      const version = await runCli(layout.sandbox, codexThroughAlias(['--version']));
      assert.equal(version.code, 0, version.stderr);
      assert.match(version.stdout, /^codex-cli \d+\.\d+\.\d+/);
      const help = await runCli(layout.sandbox, codexThroughAlias(['app-server', '--help']));
      assert.equal(help.code, 0, help.stderr);
      assert.doesNotMatch(help.stderr, /^error: |invalid TOML/m, 'codex-auth did not read the config');
    });
  });

  it('codex mcp login for a server codex-auth does not know goes to Codex itself', async () => {
    await withLayout({}, async (layout) => {
      const result = await runCli(layout.sandbox, codexThroughAlias(['mcp', 'login', 'nosuch']));
      assert.notEqual(result.code, 0);
      assert.match(result.stderr, /No MCP server named 'nosuch'/, 'Codex answered, not codex-auth');
    });
  });
});
