// `codex-auth login --device` end to end (RFC 8628): a real oidc-provider with
// the device flow on, the built CLI as a real process, a headless browser that
// opens the printed verification URI, and a real MCP server that must accept
// the token. Also: a server without a device endpoint fails clearly.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { listToolsWithToken } from '../peers/mcp-server.ts';
import { assertNoSecrets, runCli } from './harness.ts';
import { deviceLogin, storedState, withLayout } from './fixtures.ts';

const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

describe('login --device (RFC 8628)', () => {
  it('shows the verification URI, polls until approved, and the MCP server accepts the token', async () => {
    // The resource publishes its scopes, so the device authorization request carries them.
    await withLayout({ auth: { deviceFlow: true }, mcp: { scopesSupported: ['mcp:read', 'mcp:write'] } }, async (layout) => {
      const result = await deviceLogin(layout.sandbox, 'demo');
      assert.equal(result.code, 0, `login failed: ${result.stderr}`);
      assert.ok(result.verificationUri.startsWith(layout.auth.origin), 'the URI is the authorization server’s');
      assert.match(result.stderr, /enter the code \S+/);

      const state = storedState(layout.sandbox);
      assert.ok(state?.grant, 'a grant is stored');
      const token = state.grant.tokens.accessToken;
      assert.deepEqual((await listToolsWithToken(layout.mcp.url, token)).sort(), ['echo', 'whoami']);

      const [registration] = layout.auth.registrations() as Array<{ grant_types?: string[]; redirect_uris?: string[] }>;
      assert.ok(registration?.grant_types?.includes(DEVICE_CODE_GRANT), 'registered for the device grant');
      const polls = layout.auth.tokenRequests(DEVICE_CODE_GRANT);
      assert.ok(polls.length > 0);
      for (const poll of polls) assert.deepEqual(poll.form?.resource, [layout.mcp.resource], 'resource on every poll');
      assert.match(layout.sandbox.readConfig(), /\nhttp_headers_helper = .* headers demo /);
      assertNoSecrets([result.stdout, result.stderr], [token, state.grant.tokens.refreshToken]);
    });
  });

  it('fails clearly, naming the step, when the server offers no device flow', async () => {
    await withLayout({}, async (layout) => {
      const before = layout.sandbox.readConfig();
      const result = await runCli(layout.sandbox, ['login', 'demo', '--device']);
      assert.notEqual(result.code, 0);
      assert.match(result.stderr, /does not offer the device flow/);
      assert.match(result.stderr, /device authorization/, 'names the step');
      assert.deepEqual(layout.auth.registrations(), [], 'no client registered for a flow the server lacks');
      assert.match(result.stderr, /demo/, 'the error names the server');
      assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
      assert.equal(storedState(layout.sandbox)?.grant, undefined, 'nothing stored');
      assert.equal(layout.sandbox.readConfig(), before, 'config untouched');
    });
  });
});
