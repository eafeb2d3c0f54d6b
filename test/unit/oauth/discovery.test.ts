import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { discoverAuthorizationServer, discoverProtectedResource } from '../../../src/oauth/discovery.ts';
import { asMetadata, assertCodexAuthError, httpWith, json, rejectsWith } from './fake-fetch.ts';

const MCP = new URL('https://mcp.example.com/public/mcp');
const PATH_PRM = 'https://mcp.example.com/.well-known/oauth-protected-resource/public/mcp';
const ROOT_PRM = 'https://mcp.example.com/.well-known/oauth-protected-resource';
const prm = (resource: string, extra: Record<string, unknown> = {}) => json({ resource, authorization_servers: ['https://as.example.com'], ...extra });

describe('discoverProtectedResource: order', () => {
  it('uses the challenge resource_metadata URL first and only', async () => {
    const custom = 'https://mcp.example.com/custom/metadata.json';
    const { http, urls } = httpWith({ [`GET ${custom}`]: () => prm(MCP.href, { scopes_supported: ['a', 'b'] }) });
    const info = await discoverProtectedResource(MCP, { needsAuthorization: true, status: 401, resourceMetadataUrl: custom }, http);
    assert.deepEqual(urls(), [`GET ${custom}`]);
    assert.equal(info?.resource, MCP.href);
    assert.equal(info?.metadataUrl, custom);
    assert.deepEqual(info?.authorizationServers, ['https://as.example.com']);
    assert.deepEqual(info?.scopesSupported, ['a', 'b']);
  });

  it('falls back to the path-aware well-known URL, then the root, with the user headers', async () => {
    const { http, urls, requests } = httpWith({ [`GET ${ROOT_PRM}`]: () => prm('https://mcp.example.com') }, { headers: { 'X-Api-Key': 'k' } });
    const info = await discoverProtectedResource(MCP, { needsAuthorization: true, status: 401 }, http);
    assert.deepEqual(urls(), [`GET ${PATH_PRM}`, `GET ${ROOT_PRM}`]);
    assert.equal(info?.resource, 'https://mcp.example.com');
    assert.ok(requests.every((r) => r.headers.get('x-api-key') === 'k'));
  });

  it('tries only the root for an MCP URL without a path', async () => {
    const { http, urls } = httpWith({});
    assert.equal(await discoverProtectedResource(new URL('https://mcp.example.com'), { needsAuthorization: true, status: 401 }, http), undefined);
    assert.deepEqual(urls(), [`GET ${ROOT_PRM}`]);
  });

  it('returns undefined when no metadata exists (2025-03-26 servers)', async () => {
    const { http, urls } = httpWith({});
    assert.equal(await discoverProtectedResource(MCP, { needsAuthorization: true, status: 401 }, http), undefined);
    assert.deepEqual(urls(), [`GET ${PATH_PRM}`, `GET ${ROOT_PRM}`]);
  });

  it('takes an HTML page at a well-known location as a miss; the next location is tried', async () => {
    const page = () => new Response('<!doctype html>', { headers: { 'content-type': 'text/html' } });
    const { http, urls } = httpWith({ [`GET ${PATH_PRM}`]: page, [`GET ${ROOT_PRM}`]: () => prm('https://mcp.example.com') });
    assert.equal((await discoverProtectedResource(MCP, { needsAuthorization: true, status: 401 }, http))?.resource, 'https://mcp.example.com');
    assert.deepEqual(urls(), [`GET ${PATH_PRM}`, `GET ${ROOT_PRM}`]);
    const pagesOnly = httpWith({ [`GET ${PATH_PRM}`]: page, [`GET ${ROOT_PRM}`]: page });
    assert.equal(await discoverProtectedResource(MCP, { needsAuthorization: false, status: 200 }, pagesOnly.http), undefined);
  });

  it('stops on a server error instead of guessing further', async () => {
    const { http, urls } = httpWith({ [`GET ${PATH_PRM}`]: () => json({}, 503) });
    await rejectsWith(discoverProtectedResource(MCP, { needsAuthorization: true, status: 401 }, http), { kind: 'discovery', step: 'resource-metadata', message: /HTTP 503/ });
    assert.deepEqual(urls(), [`GET ${PATH_PRM}`]);
  });

  it('fails when the challenge URL does not answer', async () => {
    const { http } = httpWith({});
    await rejectsWith(discoverProtectedResource(MCP, { needsAuthorization: true, status: 401, resourceMetadataUrl: ROOT_PRM }, http), { step: 'resource-metadata', message: /HTTP 404/ });
  });
});

describe('discoverProtectedResource: resource validation', () => {
  const viaChallenge = async (resource: string) => {
    const { http } = httpWith({ [`GET ${ROOT_PRM}`]: () => prm(resource) });
    return discoverProtectedResource(MCP, { needsAuthorization: true, status: 401, resourceMetadataUrl: ROOT_PRM }, http);
  };

  for (const resource of ['https://mcp.example.com/public/mcp', 'https://MCP.example.com/public/mcp', 'https://mcp.example.com/public', 'https://mcp.example.com', 'https://mcp.example.com:443/public/mcp/']) {
    it(`accepts ${resource} for ${MCP.href}`, async () => {
      assert.equal((await viaChallenge(resource))?.resource, resource, 'kept exactly as published');
    });
  }

  for (const resource of ['https://evil.example.com/public/mcp', 'http://mcp.example.com/public/mcp', 'https://mcp.example.com:8443/public/mcp', 'https://mcp.example.com/pub', 'https://mcp.example.com/public/mcp/deeper', 'https://mcp.example.com/public/mcp#x', 'not a url']) {
    it(`rejects ${resource}`, async () => {
      await rejectsWith(viaChallenge(resource), { kind: 'discovery', step: 'resource-metadata', message: /refusing to use it/ });
    });
  }

  it('rejects metadata without authorization servers, or not JSON', async () => {
    const { http } = httpWith({ [`GET ${ROOT_PRM}`]: () => json({ resource: MCP.href, authorization_servers: [] }) });
    await rejectsWith(discoverProtectedResource(MCP, { needsAuthorization: true, status: 401, resourceMetadataUrl: ROOT_PRM }, http), { message: /no authorization_servers/ });
    const html = httpWith({ [`GET ${ROOT_PRM}`]: () => new Response('<html>', { headers: { 'content-type': 'text/html' } }) });
    await rejectsWith(discoverProtectedResource(MCP, { needsAuthorization: true, status: 401, resourceMetadataUrl: ROOT_PRM }, html.http), { message: /HTTP 200, an HTML page \(text\/html\) instead of JSON/ });
  });

  it('requires a JSON content type, parameters allowed, even when the body is JSON', async () => {
    const body = JSON.stringify({ resource: MCP.href, authorization_servers: ['https://as.example.com'] });
    const served = (type: string) => httpWith({ [`GET ${ROOT_PRM}`]: () => new Response(body, { headers: { 'content-type': type } }) }).http;
    const discover = (type: string) => discoverProtectedResource(MCP, { needsAuthorization: true, status: 401, resourceMetadataUrl: ROOT_PRM }, served(type));
    await rejectsWith(discover('text/plain'), { kind: 'discovery', step: 'resource-metadata', message: /plain text \(text\/plain\) instead of JSON/ });
    assert.equal((await discover('application/json; charset=utf-8'))?.resource, MCP.href);
  });
});

describe('discoverAuthorizationServer', () => {
  it('tries the three documents for an issuer with a path, in the spec order', async () => {
    const issuer = 'https://as.example.com/tenant1';
    const { http, urls } = httpWith({});
    await rejectsWith(discoverAuthorizationServer(issuer, http), { kind: 'discovery', step: 'authorization-server-metadata', message: /No authorization server metadata/ });
    assert.deepEqual(urls(), [
      'GET https://as.example.com/.well-known/oauth-authorization-server/tenant1',
      'GET https://as.example.com/.well-known/openid-configuration/tenant1',
      'GET https://as.example.com/tenant1/.well-known/openid-configuration',
    ]);
  });

  it('finds the OpenID document appended to the path', async () => {
    const issuer = 'https://as.example.com/tenant1';
    const { http, urls } = httpWith({ 'GET https://as.example.com/tenant1/.well-known/openid-configuration': () => json(asMetadata(issuer)) });
    assert.equal((await discoverAuthorizationServer(issuer, http)).issuer, issuer);
    assert.equal(urls().length, 3);
  });

  it('takes an HTML 200 (a single-page app) as a miss and goes on in the spec order', async () => {
    const issuer = 'https://as.example.com';
    const page = () => new Response('<!doctype html><div id="root"></div>', { headers: { 'content-type': 'text/html' } });
    const { http, urls } = httpWith({
      'GET https://as.example.com/.well-known/oauth-authorization-server': page,
      'GET https://as.example.com/.well-known/openid-configuration': () => json(asMetadata(issuer)),
    });
    assert.equal((await discoverAuthorizationServer(issuer, http)).issuer, issuer);
    assert.equal(urls().length, 2);
  });

  it('names the URLs that answered HTML when no candidate has metadata', async () => {
    const issuer = 'https://as.example.com/tenant1';
    const page = () => new Response('<!doctype html>', { headers: { 'content-type': 'text/html' } });
    const { http } = httpWith({
      'GET https://as.example.com/.well-known/oauth-authorization-server/tenant1': page,
      'GET https://as.example.com/tenant1/.well-known/openid-configuration': page,
    });
    const error = await discoverAuthorizationServer(issuer, http).catch((e: unknown) => e);
    assertCodexAuthError(error, {
      kind: 'discovery',
      message: /oauth-authorization-server\/tenant1 \(HTTP 200, an HTML page \(text\/html\) instead of JSON\), https:\/\/as\.example\.com\/\.well-known\/openid-configuration\/tenant1 \(404\), https:\/\/as\.example\.com\/tenant1\/\.well-known\/openid-configuration \(HTTP 200, an HTML page/,
    });
    assert.match((error as { hint: string }).hint, /^https:\/\/as\.example\.com\/\.well-known\/oauth-authorization-server\/tenant1 and https:\/\/as\.example\.com\/tenant1\/\.well-known\/openid-configuration answered with a web page/);
  });

  it('tries the two root documents for an issuer without a path, stopping at the first found', async () => {
    const issuer = 'https://as.example.com';
    const { http, urls } = httpWith({ 'GET https://as.example.com/.well-known/openid-configuration': () => json(asMetadata(issuer)) });
    const as = await discoverAuthorizationServer(issuer, http);
    assert.equal(as.token_endpoint, 'https://as.example.com/token');
    assert.deepEqual(urls(), ['GET https://as.example.com/.well-known/oauth-authorization-server', 'GET https://as.example.com/.well-known/openid-configuration']);
  });

  for (const [name, listed, published] of [
    ['another issuer', 'https://as.example.com', 'https://attacker.example.com'],
    ['a case variant', 'https://as.example.com', 'https://AS.example.com'],
    ['a case variant with a slash', 'https://as.example.com/', 'https://AS.example.com'],
    ['a default-port variant', 'https://as.example.com', 'https://as.example.com:443'],
    ['two slashes', 'https://as.example.com', 'https://as.example.com//'],
    ['a slash after a path', 'https://as.example.com/tenant1', 'https://as.example.com/tenant1/'],
    ['no slash after a path', 'https://as.example.com/tenant1/', 'https://as.example.com/tenant1'],
  ] as const) {
    it(`rejects metadata naming ${name}`, async () => {
      const metadataUrl = listed.includes('tenant1') ? 'https://as.example.com/.well-known/oauth-authorization-server/tenant1' : 'https://as.example.com/.well-known/oauth-authorization-server';
      const { http } = httpWith({ [`GET ${metadataUrl}`]: () => json(asMetadata(published)) });
      await rejectsWith(discoverAuthorizationServer(listed, http), { kind: 'discovery', step: 'authorization-server-metadata', message: /names issuer/ });
    });
  }

  // Google lists "https://accounts.google.com/" and publishes "https://accounts.google.com"; Python SDK servers the reverse.
  for (const [listed, published] of [
    ['https://as.example.com/', 'https://as.example.com'],
    ['https://as.example.com', 'https://as.example.com/'],
  ] as const) {
    it(`takes "${published}" for "${listed}" (one URL, an empty path), and the metadata's spelling is the issuer`, async () => {
      const lines: string[] = [];
      const { http } = httpWith({ 'GET https://as.example.com/.well-known/oauth-authorization-server': () => json(asMetadata(published)) });
      const as = await discoverAuthorizationServer(listed, { ...http, debug: (line) => lines.push(line) });
      assert.equal(as.issuer, published);
      assert.ok(lines.some((line) => line.includes('differ only by the slash')), lines.join('\n'));
    });
  }

  for (const [name, methods] of [
    ['absent', undefined],
    ['plain only', ['plain']],
  ] as const) {
    it(`refuses an authorization server whose PKCE methods are ${name}`, async () => {
      const metadata = { ...asMetadata('https://as.example.com'), code_challenge_methods_supported: methods };
      const { http } = httpWith({ 'GET https://as.example.com/.well-known/oauth-authorization-server': () => json(metadata) });
      await rejectsWith(discoverAuthorizationServer('https://as.example.com', http), { kind: 'discovery', message: /S256/ });
    });
  }

  it('refuses a redirect during discovery, naming the Location', async () => {
    const { http } = httpWith({
      'GET https://as.example.com/.well-known/oauth-authorization-server': () => new Response(null, { status: 301, headers: { location: 'https://elsewhere.example.org/meta' } }),
    });
    await rejectsWith(discoverAuthorizationServer('https://as.example.com', http), { step: 'authorization-server-metadata', message: /elsewhere\.example\.org\/meta/ });
  });

  it('refuses an http issuer that is not loopback, and allows a loopback one', async () => {
    await rejectsWith(discoverAuthorizationServer('http://as.example.com', httpWith({}).http), { message: /only https/ });
    const issuer = 'http://127.0.0.1:9999';
    const { http } = httpWith({ [`GET ${issuer}/.well-known/oauth-authorization-server`]: () => json(asMetadata(issuer)) });
    assert.equal((await discoverAuthorizationServer(issuer, http)).issuer, issuer);
  });
});

describe('discoverAuthorizationServer: what the metadata may contain', () => {
  const ISSUER = 'https://as.example.com';
  const WELL_KNOWN = `GET ${ISSUER}/.well-known/oauth-authorization-server`;
  const discoverFrom = (respond: () => Response) => discoverAuthorizationServer(ISSUER, httpWith({ [WELL_KNOWN]: respond }).http);

  it('requires a JSON content type', async () => {
    const body = JSON.stringify(asMetadata(ISSUER));
    await rejectsWith(discoverFrom(() => new Response(body, { headers: { 'content-type': 'text/html' } })), {
      kind: 'discovery',
      step: 'authorization-server-metadata',
      message: /HTTP 200, an HTML page \(text\/html\) instead of JSON/,
    });
    await rejectsWith(discoverFrom(() => new Response(body)), { step: 'authorization-server-metadata', message: /HTTP 200, .* instead of JSON/ });
  });

  for (const field of ['authorization_endpoint', 'token_endpoint', 'registration_endpoint', 'revocation_endpoint', 'device_authorization_endpoint']) {
    it(`refuses a plain-http ${field} on another host when the metadata is read`, async () => {
      const { http, urls } = httpWith({ [WELL_KNOWN]: () => json(asMetadata(ISSUER, { [field]: 'http://elsewhere.example.org/x' })) });
      await rejectsWith(discoverAuthorizationServer(ISSUER, http), {
        kind: 'discovery',
        step: 'authorization-server-metadata',
        message: new RegExp(`${field} http://elsewhere\\.example\\.org/x, which is not https`),
      });
      assert.deepEqual(urls(), [WELL_KNOWN], 'nothing but the metadata was requested');
    });
  }

  it('refuses an endpoint that is not a URL, and one with another scheme', async () => {
    await rejectsWith(discoverFrom(() => json(asMetadata(ISSUER, { token_endpoint: 'not a url' }))), { message: /token_endpoint that is not a URL/ });
    await rejectsWith(discoverFrom(() => json(asMetadata(ISSUER, { authorization_endpoint: 'javascript:alert(1)' }))), { message: /authorization_endpoint .*not https/ });
  });

  // Plain http on loopback is accepted from an issuer on loopback only: test/unit/oauth/local-targets.test.ts.
  it('accepts https endpoints on other hosts', async () => {
    const as = await discoverFrom(() => json(asMetadata(ISSUER, { token_endpoint: 'https://tokens.example.org/t', revocation_endpoint: 'https://revoke.example.net/revoke' })));
    assert.equal(as.token_endpoint, 'https://tokens.example.org/t');
  });
});
