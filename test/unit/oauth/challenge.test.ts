import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseWwwAuthenticate, probe } from '../../../src/oauth/challenge.ts';
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
});
