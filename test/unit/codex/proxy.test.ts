import assert from 'node:assert/strict';
import http, { type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startProxy, type ProxyRoute, type RunningProxy } from '../../../src/codex/proxy.ts';

interface Seen {
  method: string;
  url: string;
  authorization?: string;
  headers: IncomingMessage['headers'];
  body: string;
}

describe('session proxy', () => {
  const seen: Seen[] = [];
  let upstream: http.Server;
  let upstreamUrl: string;
  let proxy: RunningProxy;
  let token = 'access-1';
  const refreshes: string[] = [];
  const stepUps: string[][] = [];

  before(async () => {
    upstream = http.createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        seen.push({ method: req.method ?? '', url: req.url ?? '', authorization: req.headers.authorization, headers: req.headers, body });
        const auth = req.headers.authorization;
        if (req.url?.startsWith('/mcp/expired') && auth === 'Bearer access-1') {
          res.writeHead(401, { 'www-authenticate': 'Bearer error="invalid_token"' }).end();
          return;
        }
        if (req.url?.startsWith('/mcp/needs-scope') && auth !== 'Bearer access-wide') {
          res.writeHead(403, { 'www-authenticate': 'Bearer error="insufficient_scope", scope="read write"' }).end();
          return;
        }
        if (req.method === 'GET') {
          res.writeHead(200, { 'content-type': 'text/event-stream', 'mcp-session-id': 'abc' });
          res.write('event: message\ndata: one\n\n');
          setTimeout(() => res.end('event: message\ndata: two\n\n'), 50);
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json', 'mcp-session-id': 'abc', connection: 'close' }).end(JSON.stringify({ echoed: body }));
      });
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/mcp`;
    const route: ProxyRoute = {
      serverName: 'demo',
      upstream: new URL(upstreamUrl),
      currentToken: async () => token,
      refreshAfterRejection: async (rejected) => {
        refreshes.push(rejected);
        token = 'access-2';
        return token;
      },
      stepUp: async (challenge) => {
        stepUps.push(challenge.scopes ?? []);
        token = 'access-wide';
        return token;
      },
    };
    proxy = await startProxy({ routes: [route], secret: 'per-run-secret' });
  });

  after(async () => {
    await proxy.close();
    await new Promise((resolve) => upstream.close(resolve));
  });

  it('refuses a request without the proxy secret and reaches nothing upstream', async () => {
    const before = seen.length;
    const missing = await fetch(proxy.urlFor('demo'), { method: 'POST', body: '{}' });
    const wrong = await fetch(proxy.urlFor('demo'), { method: 'POST', body: '{}', headers: { authorization: 'Bearer per-run-secreT' } });
    assert.equal(missing.status, 401);
    assert.equal(wrong.status, 401);
    assert.equal(seen.length, before);
  });

  it('forwards method, body, session headers with the OAuth token instead of the proxy secret', async () => {
    const response = await fetch(proxy.urlFor('demo'), {
      method: 'POST',
      body: '{"jsonrpc":"2.0","id":1,"method":"initialize"}',
      headers: { authorization: 'Bearer per-run-secret', 'content-type': 'application/json', 'mcp-protocol-version': '2025-06-18', 'mcp-session-id': 'abc', 'proxy-authorization': 'x' },
    });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('mcp-session-id'), 'abc');
    assert.deepEqual(await response.json(), { echoed: '{"jsonrpc":"2.0","id":1,"method":"initialize"}' });
    const last = seen.at(-1)!;
    assert.equal(last.authorization, `Bearer ${token}`);
    assert.equal(last.headers['mcp-protocol-version'], '2025-06-18');
    assert.equal(last.headers['mcp-session-id'], 'abc');
    assert.equal(last.headers['proxy-authorization'], undefined);
    assert.equal(last.url, '/mcp');
  });

  it('streams a GET event stream back as it arrives', async () => {
    const response = await fetch(proxy.urlFor('demo'), { headers: { authorization: 'Bearer per-run-secret', accept: 'text/event-stream' } });
    assert.equal(response.headers.get('content-type'), 'text/event-stream');
    const reader = response.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    assert.match(first, /data: one/);
    let rest = '';
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      rest += new TextDecoder().decode(value);
    }
    assert.match(rest, /data: two/);
  });

  it('refreshes once and retries after a 401', async () => {
    token = 'access-1';
    const response = await fetch(`${proxy.urlFor('demo')}/expired?x=1`, { method: 'POST', body: '{}', headers: { authorization: 'Bearer per-run-secret' } });
    assert.equal(response.status, 200);
    assert.deepEqual(refreshes, ['access-1']);
    assert.equal(seen.at(-1)!.url, '/mcp/expired?x=1');
    assert.equal(seen.at(-1)!.authorization, 'Bearer access-2');
  });

  it('steps up on 403 insufficient_scope with the challenged scopes, then retries', async () => {
    const response = await fetch(`${proxy.urlFor('demo')}/needs-scope`, { method: 'POST', body: '{}', headers: { authorization: 'Bearer per-run-secret' } });
    assert.equal(response.status, 200);
    assert.deepEqual(stepUps, [['read', 'write']]);
    assert.equal(seen.at(-1)!.authorization, 'Bearer access-wide');
  });

  it('answers 404 for a server it does not serve', async () => {
    const response = await fetch(proxy.urlFor('other'), { headers: { authorization: 'Bearer per-run-secret' } });
    assert.equal(response.status, 404);
  });

  it('without the secret, answers 401 alike for a server it serves and one it does not (issue 17, item 10b)', async () => {
    for (const authorization of [undefined, 'Bearer wrong-secret']) {
      const statuses = await Promise.all(['demo', 'other'].map(async (name) => (await fetch(proxy.urlFor(name), { headers: authorization ? { authorization } : {} })).status));
      assert.deepEqual(statuses, [401, 401], 'the answer tells nothing of which names are served');
    }
  });
});
