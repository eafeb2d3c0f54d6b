// The session proxy against the real peers: a real login, the real state store
// and refresh code behind the routes, the SDK client in front, an SDK server behind.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startProxy } from '../../src/codex/proxy.ts';
import { createHttpClient } from '../../src/oauth/http.ts';
import { createRoute } from '../../src/session/routes.ts';
import { statePaths } from '../../src/store/paths.ts';
import { StateStore } from '../../src/store/state.ts';
import { callToolWithToken, listToolsWithToken } from '../peers/mcp-server.ts';
import { runCli } from './harness.ts';
import { startLayout, storedState, type LayoutOptions } from './fixtures.ts';

async function withProxiedLayout(options: LayoutOptions, body: (input: { proxyUrl: string; layout: Awaited<ReturnType<typeof startLayout>> }) => Promise<void>) {
  const layout = await startLayout(options);
  try {
    const login = await runCli(layout.sandbox, ['login', 'demo'], { env: { BROWSER: layout.browser() } });
    assert.equal(login.code, 0, login.stderr);
    const paths = statePaths(layout.sandbox.stateDir);
    const route = createRoute({ store: new StateStore(paths), paths, http: createHttpClient(), now: Date.now, warn: () => undefined }, 'demo', layout.mcp.url);
    const proxy = await startProxy({ routes: [route], secret: 'the-per-run-secret' });
    try {
      await body({ proxyUrl: proxy.urlFor('demo'), layout });
    } finally {
      await proxy.close();
    }
  } finally {
    await layout.close();
  }
}

describe('session proxy with real peers', () => {
  for (const jsonResponses of [false, true]) {
    it(`the SDK client lists and calls tools through the proxy (${jsonResponses ? 'JSON' : 'SSE'} responses)`, async () => {
      await withProxiedLayout({ mcp: { jsonResponses } }, async ({ proxyUrl, layout }) => {
        const afterLogin = layout.mcp.requests.length;
        assert.deepEqual((await listToolsWithToken(proxyUrl, 'the-per-run-secret')).sort(), ['echo', 'whoami']);
        assert.equal(await callToolWithToken(proxyUrl, 'the-per-run-secret', 'whoami'), layout.mcp.marker);
        const proxied = layout.mcp.requests.slice(afterLogin);
        assert.ok(proxied.length >= 4);
        assert.ok(proxied.every((request) => request.tokenOk), 'every proxied request carried the OAuth token');
      });
    });
  }

  it('a wrong or missing proxy secret gets 401 and reaches nothing upstream', async () => {
    await withProxiedLayout({}, async ({ proxyUrl, layout }) => {
      const seen = layout.mcp.requests.length;
      const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } });
      const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
      const missing = await fetch(proxyUrl, { method: 'POST', body, headers });
      const wrong = await fetch(proxyUrl, { method: 'POST', body, headers: { ...headers, authorization: 'Bearer not-the-secret' } });
      const oauthToken = await fetch(proxyUrl, { method: 'POST', body, headers: { ...headers, authorization: `Bearer ${storedState(layout.sandbox)!.grant!.tokens.accessToken}` } });
      assert.deepEqual([missing.status, wrong.status, oauthToken.status], [401, 401, 401]);
      assert.equal(layout.mcp.requests.length, seen);
    });
  });
});
