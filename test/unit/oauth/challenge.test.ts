import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { authorizationChallenge, MODERN_PROTOCOL_VERSION, parseWwwAuthenticate, probe } from '../../../src/oauth/challenge.ts';
import { httpWith, json, rejectsWith } from './fake-fetch.ts';

describe('parseWwwAuthenticate', () => {
  const cases: [string, string, ReturnType<typeof parseWwwAuthenticate>][] = [
    ['bare scheme', 'Bearer', [{ scheme: 'bearer', params: {} }]],
    [
      'MCP spec example, folded',
      'Bearer resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource",\n                         scope="files:read"',
      [{ scheme: 'bearer', params: { resource_metadata: 'https://mcp.example.com/.well-known/oauth-protected-resource', scope: 'files:read' } }],
    ],
    [
      'insufficient_scope with several scopes',
      'Bearer error="insufficient_scope", scope="files:read files:write user:profile", resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource", error_description="Additional file write permission required"',
      [
        {
          scheme: 'bearer',
          params: {
            error: 'insufficient_scope',
            scope: 'files:read files:write user:profile',
            resource_metadata: 'https://mcp.example.com/.well-known/oauth-protected-resource',
            error_description: 'Additional file write permission required',
          },
        },
      ],
    ],
    [
      'unquoted values, including a URL, and upper-case names',
      'bearer Error=invalid_token, Resource_Metadata=https://h.example/.well-known/oauth-protected-resource/mcp',
      [{ scheme: 'bearer', params: { error: 'invalid_token', resource_metadata: 'https://h.example/.well-known/oauth-protected-resource/mcp' } }],
    ],
    [
      'commas and escapes inside quotes',
      'Bearer realm="a, b", error_description="say \\"hi\\", then \\\\ leave"',
      [{ scheme: 'bearer', params: { realm: 'a, b', error_description: 'say "hi", then \\ leave' } }],
    ],
    [
      'several challenges, token68 included',
      'Negotiate YIIBhgYGKwYBBQUCoIIBejCCAXagMDAuBgkq==, Basic realm="x", Bearer realm="api", scope="a b"',
      [
        { scheme: 'negotiate', params: {}, token68: 'YIIBhgYGKwYBBQUCoIIBejCCAXagMDAuBgkq==' },
        { scheme: 'basic', params: { realm: 'x' } },
        { scheme: 'bearer', params: { realm: 'api', scope: 'a b' } },
      ],
    ],
    [
      'DPoP before Bearer, spaces around =',
      'DPoP algs="ES256 PS256" , Bearer resource_metadata = "https://x.example/prm"',
      [
        { scheme: 'dpop', params: { algs: 'ES256 PS256' } },
        { scheme: 'bearer', params: { resource_metadata: 'https://x.example/prm' } },
      ],
    ],
    ['empty header', '', []],
    ['stray commas', ', , Bearer ,, realm="r" ,', [{ scheme: 'bearer', params: { realm: 'r' } }]],
    ['unterminated quote keeps the rest', 'Bearer error_description="oops', [{ scheme: 'bearer', params: { error_description: 'oops' } }]],
    ['duplicate parameter keeps the first', 'Bearer scope="a", scope="b"', [{ scheme: 'bearer', params: { scope: 'a' } }]],
  ];
  for (const [name, header, expected] of cases) {
    it(name, () => assert.deepEqual(parseWwwAuthenticate(header), expected));
  }
});

describe('probe', () => {
  const mcp = 'https://mcp.example.com/mcp';

  it('sends a real initialize request with the user headers and reads the Bearer challenge', async () => {
    const { http, requests } = httpWith(
      {
        [`POST ${mcp}`]: () =>
          new Response(null, {
            status: 401,
            headers: { 'www-authenticate': 'Basic realm="x", Bearer resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp", scope="read write"' },
          }),
      },
      { headers: { 'X-Tenant': 'acme' } },
    );
    const result = await probe(new URL(mcp), http);
    assert.deepEqual(result, {
      needsAuthorization: true,
      status: 401,
      resourceMetadataUrl: 'https://mcp.example.com/.well-known/oauth-protected-resource/mcp',
      scopes: ['read', 'write'],
    });
    const [request] = requests;
    assert.equal(request?.headers.get('x-tenant'), 'acme');
    assert.equal(request?.headers.get('accept'), 'application/json, text/event-stream');
    assert.equal(request?.headers.get('authorization'), null);
    assert.equal(JSON.parse(request?.body ?? '{}').method, 'initialize');
  });

  it('reports no authorization needed on 2xx, even with an open event stream', async () => {
    const { http } = httpWith({
      [`POST ${mcp}`]: () => new Response(new ReadableStream({ start: (c) => c.enqueue(new TextEncoder().encode('event: message\n')) }), { headers: { 'content-type': 'text/event-stream' } }),
    });
    assert.deepEqual(await probe(new URL(mcp), http), { needsAuthorization: false, status: 200 });
  });

  it('refuses a 2xx that is not MCP (a web page at the url) instead of calling the server open', async () => {
    for (const type of ['text/html; charset=utf-8', 'text/plain']) {
      const { http } = httpWith({ [`POST ${mcp}`]: () => new Response('<!doctype html><title>Welcome</title>', { headers: { 'content-type': type } }) });
      await rejectsWith(probe(new URL(mcp), http), { kind: 'discovery', step: 'probe', message: /not MCP: this url is not an MCP endpoint/ });
    }
    const html = httpWith({ [`POST ${mcp}`]: () => new Response('<html>', { headers: { 'content-type': 'text/html' } }) });
    await rejectsWith(probe(new URL(mcp), html.http), { message: /with an HTML page \(text\/html\) \(HTTP 200\)/ });
    const json = httpWith({ [`POST ${mcp}`]: () => new Response('{"jsonrpc":"2.0","id":1,"result":{}}', { headers: { 'content-type': 'application/json' } }) });
    assert.equal((await probe(new URL(mcp), json.http)).needsAuthorization, false);
  });

  it('after an open initialize, follows with the initialized notification and tools/list in that session, and takes their challenge', async () => {
    const bodies: Array<{ method?: string; session: string | null }> = [];
    const { http, urls } = httpWith({
      [`POST ${mcp}`]: (request) => {
        const method = (JSON.parse(request.body) as { method?: string }).method;
        bodies.push({ method, session: request.headers.get('mcp-session-id') });
        if (method === 'initialize') return json({ jsonrpc: '2.0', id: 1, result: {} }, 200, { 'mcp-session-id': 'sess-1' });
        if (method === 'notifications/initialized') return new Response(null, { status: 202 });
        return new Response('{}', { status: 401, headers: { 'content-type': 'application/json', 'www-authenticate': 'Bearer scope="mcp:basic", resource_metadata="/.well-known/oauth-protected-resource/mcp"' } });
      },
      [`DELETE ${mcp}`]: () => new Response(null, { status: 200 }),
    });
    assert.deepEqual(await probe(new URL(mcp), http), {
      needsAuthorization: true,
      status: 401,
      method: 'tools/list',
      scopes: ['mcp:basic'],
      resourceMetadataUrl: 'https://mcp.example.com/.well-known/oauth-protected-resource/mcp',
    });
    assert.deepEqual(bodies, [
      { method: 'initialize', session: null },
      { method: 'notifications/initialized', session: 'sess-1' },
      { method: 'tools/list', session: 'sess-1' },
    ]);
    assert.equal(urls().at(-1), `DELETE ${mcp}`, 'the session the probe opened is closed');
  });

  it('treats 403 with a Bearer challenge as needing authorization', async () => {
    const { http } = httpWith({
      [`POST ${mcp}`]: () => new Response(null, { status: 403, headers: { 'www-authenticate': 'Bearer error="insufficient_scope", scope="admin", error_description="more"' } }),
    });
    assert.deepEqual(await probe(new URL(mcp), http), { needsAuthorization: true, status: 403, scopes: ['admin'], error: 'insufficient_scope', errorDescription: 'more' });
  });

  it('accepts a 401 without any challenge (2025-03-26 servers)', async () => {
    const { http } = httpWith({ [`POST ${mcp}`]: () => new Response(null, { status: 401 }) });
    assert.deepEqual(await probe(new URL(mcp), http), { needsAuthorization: true, status: 401 });
  });

  it('refuses non-Bearer authentication and unexpected statuses', async () => {
    const basic = httpWith({ [`POST ${mcp}`]: () => new Response(null, { status: 401, headers: { 'www-authenticate': 'Basic realm="x"' } }) });
    await rejectsWith(probe(new URL(mcp), basic.http), { kind: 'discovery', step: 'probe', message: /basic authentication/ });
    const missing = httpWith({ [`POST ${mcp}`]: () => json({}, 404) });
    await rejectsWith(probe(new URL(mcp), missing.http), { kind: 'discovery', step: 'probe', message: /HTTP 404/ });
  });

  it('asks a server that rejects initialize with 400 the modern way (server/discover, MCP 2026-07-28)', async () => {
    const { http, requests } = httpWith(
      {
        [`POST ${mcp}`]: (request) =>
          request.headers.get('mcp-protocol-version') === null
            ? json({ jsonrpc: '2.0', id: null, error: { code: -32020, message: 'Missing MCP-Protocol-Version header' } }, 400)
            : new Response(null, { status: 401, headers: { 'www-authenticate': 'Bearer scope="mcp:basic", resource_metadata="https://mcp.example.com/prm"' } }),
      },
      { headers: { 'X-Tenant': 'acme' } },
    );
    assert.deepEqual(await probe(new URL(mcp), http), { needsAuthorization: true, status: 401, resourceMetadataUrl: 'https://mcp.example.com/prm', scopes: ['mcp:basic'] });
    assert.equal(requests.length, 2);
    const discover = requests[1]!;
    assert.equal(discover.headers.get('mcp-protocol-version'), MODERN_PROTOCOL_VERSION);
    assert.equal(discover.headers.get('mcp-method'), 'server/discover');
    assert.equal(discover.headers.get('x-tenant'), 'acme');
    const body = JSON.parse(discover.body);
    assert.equal(body.method, 'server/discover');
    assert.equal(body.params._meta['io.modelcontextprotocol/protocolVersion'], MODERN_PROTOCOL_VERSION, 'header and _meta name the same version');
    assert.deepEqual(body.params._meta['io.modelcontextprotocol/clientCapabilities'], {});
    assert.equal(body.params._meta['io.modelcontextprotocol/clientInfo'].name, 'codex-auth');
  });

  it('names server/discover when a server refuses both probes', async () => {
    const { http } = httpWith({ [`POST ${mcp}`]: () => json({}, 400) });
    await rejectsWith(probe(new URL(mcp), http), { kind: 'discovery', step: 'probe', message: /HTTP 400 to an MCP server\/discover request/ });
  });
});

describe('authorizationChallenge (a challenge met on a later MCP request)', () => {
  const base = new URL('https://mcp.example.com/mcp');

  it('reads 401 and 403 Bearer challenges, relative metadata URLs resolved', () => {
    assert.deepEqual(authorizationChallenge(401, 'Bearer scope="a b", resource_metadata="/prm"', base), {
      needsAuthorization: true,
      status: 401,
      resourceMetadataUrl: 'https://mcp.example.com/prm',
      scopes: ['a', 'b'],
    });
    assert.deepEqual(authorizationChallenge(403, 'Bearer error="insufficient_scope", scope="w"', base), { needsAuthorization: true, status: 403, scopes: ['w'], error: 'insufficient_scope' });
    assert.deepEqual(authorizationChallenge(401, null, base), { needsAuthorization: true, status: 401 });
  });

  it('is undefined for answers that do not ask for a Bearer token', () => {
    assert.equal(authorizationChallenge(200, null, base), undefined);
    assert.equal(authorizationChallenge(403, null, base), undefined);
    assert.equal(authorizationChallenge(401, 'Basic realm="x"', base), undefined);
    assert.equal(authorizationChallenge(500, 'Bearer', base), undefined);
  });
});
