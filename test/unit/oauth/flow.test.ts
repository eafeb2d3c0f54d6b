import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Step } from '../../../src/errors.ts';
import { login, refreshGrant, type Grant, type LoginRequest } from '../../../src/oauth/flow.ts';
import { MemoryClientStore } from '../../../src/oauth/registration.ts';
import { asMetadata, httpWith, json, rejectsWith, type RecordedRequest } from './fake-fetch.ts';

const MCP = 'https://my-resource-server.example.com/mcp';
const PRM = 'https://my-resource-server.example.com/.well-known/oauth-protected-resource';
const ISSUER = 'https://my-auth-server.example.com';

/** User report 1's server: challenge names the root PRM, whose resource is the origin. */
function reportOneServer(extraRoutes: Record<string, (r: RecordedRequest) => Response> = {}) {
  return httpWith({
    [`POST ${MCP}`]: () => new Response(null, { status: 401, headers: { 'www-authenticate': `Bearer resource_metadata="${PRM}"` } }),
    [`GET ${PRM}`]: () => json({ resource: 'https://my-resource-server.example.com', authorization_servers: [ISSUER], bearer_methods_supported: ['header'] }),
    [`GET ${ISSUER}/.well-known/oauth-authorization-server`]: () =>
      json(asMetadata(ISSUER, { scopes_supported: ['mcp', 'offline_access'], authorization_response_iss_parameter_supported: true })),
    [`POST ${ISSUER}/register`]: (request) => json({ client_id: 'codex_xxx', redirect_uris: JSON.parse(request.body).redirect_uris }, 201),
    [`POST ${ISSUER}/token`]: () => json({ access_token: 'at', token_type: 'Bearer', expires_in: 60, refresh_token: 'rt' }),
    ...extraRoutes,
  });
}

/** A headless browser: the AS approves at once and redirects to the loopback listener. */
async function approve({ url }: { url: URL }): Promise<URL> {
  const back = new URL(url.searchParams.get('redirect_uri') ?? '');
  back.search = new URLSearchParams({ code: 'the-code', state: url.searchParams.get('state') ?? '', iss: ISSUER }).toString();
  const page = await fetch(back);
  await page.body?.cancel();
  return back;
}

describe('login (smoke, scripted servers, real loopback listener)', () => {
  it('logs in to the user-report-1 server with resource from the metadata everywhere', async () => {
    const { http, requests } = reportOneServer();
    const clients = new MemoryClientStore();
    const steps: Step[] = [];
    let authorizationUrl: URL | undefined;
    const outcome = await login(
      { serverName: 'my-server', mcpUrl: MCP, clients },
      {
        http,
        now: () => 5_000,
        progress: (step) => steps.push(step),
        authorizeInteractively: async (request) => {
          authorizationUrl = request.url;
          return approve(request);
        },
      },
    );
    assert.equal(outcome.kind, 'logged-in');
    const grant = (outcome as { grant: Grant }).grant;
    assert.equal(grant.resource, 'https://my-resource-server.example.com');
    assert.equal(authorizationUrl?.searchParams.get('resource'), 'https://my-resource-server.example.com');
    const tokenBody = new URLSearchParams(requests.find((r) => r.url === `${ISSUER}/token`)?.body);
    assert.deepEqual(tokenBody.getAll('resource'), ['https://my-resource-server.example.com']);
    assert.equal(grant.tokens.accessToken, 'at');
    assert.equal(grant.tokens.expiresAt, 65_000);
    assert.equal(grant.client.clientId, 'codex_xxx');
    assert.equal(clients.find(ISSUER)?.clientId, 'codex_xxx');
    assert.equal(grant.authorizationServer.token_endpoint, `${ISSUER}/token`);
    assert.deepEqual(JSON.parse(JSON.stringify(grant.authorizationServer)), grant.authorizationServer);
    assert.deepEqual(steps, ['probe', 'resource-metadata', 'authorization-server-metadata', 'registration', 'authorization', 'callback', 'token-exchange']);
  });

  it('reuses the stored registration (and its port) on the next login', async () => {
    const { http, requests } = reportOneServer();
    const clients = new MemoryClientStore();
    const deps = { http, now: () => 0, progress: () => undefined, authorizeInteractively: approve };
    await login({ serverName: 's', mcpUrl: MCP, clients }, deps);
    const first = clients.find(ISSUER);
    await login({ serverName: 's', mcpUrl: MCP, clients }, deps);
    assert.equal(requests.filter((r) => r.url === `${ISSUER}/register`).length, 1);
    assert.equal(clients.find(ISSUER), first);
  });

  /** Logs in headlessly; returns the outcome and the `scope` the authorization request asked for. */
  async function loginAskingScope(request: LoginRequest, http: Parameters<typeof login>[1]['http']) {
    let asked: string | null = null;
    const outcome = await login(request, {
      http,
      now: () => 0,
      progress: () => undefined,
      authorizeInteractively: async (r) => {
        asked = r.url.searchParams.get('scope');
        return approve(r);
      },
    });
    return { outcome, asked: asked as string | null };
  }

  it('asks for the union of granted and challenged scopes on step-up', async () => {
    const { http } = reportOneServer();
    const request: LoginRequest = { serverName: 's', mcpUrl: MCP, clients: new MemoryClientStore(), stepUp: { grantedScopes: ['mcp'], challengedScopes: ['admin'] } };
    const { asked } = await loginAskingScope(request, http);
    assert.equal(asked, 'mcp admin offline_access');
  });

  it('uses a challenge the caller met instead of probing (initialize left open, tools/list challenged)', async () => {
    const { http, urls } = reportOneServer({ [`POST ${MCP}`]: () => json({ jsonrpc: '2.0', id: 1, result: {} }) });
    const challenge = { needsAuthorization: true, status: 401, resourceMetadataUrl: PRM, scopes: ['mcp'] };
    const { outcome, asked } = await loginAskingScope({ serverName: 's', mcpUrl: MCP, clients: new MemoryClientStore(), challenge }, http);
    assert.equal(outcome.kind, 'logged-in');
    assert.equal(urls().includes(`POST ${MCP}`), false, 'no probe');
    assert.equal(asked, 'mcp offline_access', 'scope from the challenge');
  });

  it('replaces a stored registration whose scope does not cover a step-up union', async () => {
    const registered: string[] = [];
    const { http } = reportOneServer({
      [`POST ${ISSUER}/register`]: (request) => {
        const body = JSON.parse(request.body);
        registered.push(body.scope);
        return json({ client_id: `client-${registered.length}`, redirect_uris: body.redirect_uris, scope: body.scope }, 201);
      },
    });
    const clients = new MemoryClientStore();
    const deps = { http, now: () => 0, progress: () => undefined, authorizeInteractively: approve };
    await login({ serverName: 's', mcpUrl: MCP, clients, scopes: ['mcp'] }, deps);
    const stepUp = { grantedScopes: ['mcp'], challengedScopes: ['admin'] };
    const outcome = await login({ serverName: 's', mcpUrl: MCP, clients, stepUp, challenge: { needsAuthorization: true, status: 403, scopes: ['admin'], error: 'insufficient_scope' } }, deps);
    assert.deepEqual(registered, ['mcp', 'mcp admin offline_access']);
    assert.equal(clients.find(ISSUER)?.clientId, 'client-2');
    assert.equal((outcome as { grant: Grant }).grant.client.clientId, 'client-2');
    await login({ serverName: 's', mcpUrl: MCP, clients, scopes: ['mcp'] }, deps);
    assert.equal(registered.length, 2, 'the wider registration covers the narrower request');
  });

  it('logs in to a server whose first request is open but which publishes resource metadata (Google)', async () => {
    const open = () => json({ jsonrpc: '2.0', id: 1, result: {} });
    const { http, urls } = reportOneServer({ [`POST ${MCP}`]: open, [`GET ${PRM}`]: () => json({ resource: 'https://my-resource-server.example.com', authorization_servers: [ISSUER], scopes_supported: ['mcp'] }) });
    const { outcome, asked } = await loginAskingScope({ serverName: 's', mcpUrl: MCP, clients: new MemoryClientStore() }, http);
    assert.equal(outcome.kind, 'logged-in');
    assert.equal(asked, 'mcp offline_access');
    const probes = urls().filter((url) => url.endsWith(` ${MCP}`));
    assert.deepEqual(probes, [`POST ${MCP}`, `POST ${MCP}`, `POST ${MCP}`], 'initialize, initialized, tools/list: all answered');
    assert.deepEqual(urls().filter((url) => url.startsWith('GET')).slice(0, 2), [`GET https://my-resource-server.example.com/.well-known/oauth-protected-resource/mcp`, `GET ${PRM}`]);
  });

  it('registers afresh when asked to, even with a stored registration that fits', async () => {
    const { http, requests } = reportOneServer();
    const clients = new MemoryClientStore();
    const deps = { http, now: () => 0, progress: () => undefined, authorizeInteractively: approve };
    await login({ serverName: 's', mcpUrl: MCP, clients }, deps);
    await login({ serverName: 's', mcpUrl: MCP, clients, reRegister: true }, deps);
    assert.equal(requests.filter((r) => r.url === `${ISSUER}/register`).length, 2);
  });

  it('forgets a registration the token endpoint no longer knows (invalid_client), so the next login registers afresh', async () => {
    let exchanges = 0;
    const { http, requests } = reportOneServer({
      [`POST ${ISSUER}/token`]: () => (++exchanges === 1 ? json({ error: 'invalid_client', error_description: 'client not found' }, 401) : json({ access_token: 'at', token_type: 'Bearer' })),
    });
    const clients = new MemoryClientStore();
    const deps = { http, now: () => 0, progress: () => undefined, authorizeInteractively: approve };
    const failure = await login({ serverName: 's', mcpUrl: MCP, clients }, deps).catch((e: unknown) => e);
    assert.match((failure as { hint?: string }).hint ?? '', /register afresh/);
    assert.equal(clients.find(ISSUER), undefined, 'the rejected registration is forgotten');
    assert.equal((await login({ serverName: 's', mcpUrl: MCP, clients }, deps)).kind, 'logged-in');
    assert.equal(requests.filter((r) => r.url === `${ISSUER}/register`).length, 2);
  });

  it('step-up keeps the user\'s explicit scopes, adds granted and challenged, and offline_access only when offered', async () => {
    const { http } = reportOneServer({
      [`GET ${ISSUER}/.well-known/oauth-authorization-server`]: () => json(asMetadata(ISSUER, { scopes_supported: ['mcp', 'admin'] })),
    });
    const stepUp = { grantedScopes: ['mcp', 'offline_access'], challengedScopes: ['admin'] };
    const { asked } = await loginAskingScope({ serverName: 's', mcpUrl: MCP, clients: new MemoryClientStore(), scopes: ['user:x', 'offline_access'], stepUp }, http);
    assert.equal(asked, 'user:x offline_access mcp admin');
  });

  it('returns no-authorization-needed for an open server', async () => {
    const { http } = httpWith({ [`POST ${MCP}`]: () => json({ jsonrpc: '2.0', id: 1, result: {} }) });
    const outcome = await login({ serverName: 's', mcpUrl: MCP, clients: new MemoryClientStore() }, { http, now: () => 0, progress: () => undefined, authorizeInteractively: approve });
    assert.deepEqual(outcome, { kind: 'no-authorization-needed' });
  });

  it('refuses a plain-http token endpoint while reading the metadata: no registration, no browser', async () => {
    const { http, urls } = reportOneServer({
      [`GET ${ISSUER}/.well-known/oauth-authorization-server`]: () => json(asMetadata(ISSUER, { token_endpoint: 'http://tokens.example.com/token' })),
    });
    let browserOpened = false;
    const authorizeInteractively = async (request: { url: URL }) => {
      browserOpened = true;
      return approve(request);
    };
    await rejectsWith(login({ serverName: 's', mcpUrl: MCP, clients: new MemoryClientStore() }, { http, now: () => 0, progress: () => undefined, authorizeInteractively }), {
      kind: 'discovery',
      step: 'authorization-server-metadata',
      message: /token_endpoint http:\/\/tokens\.example\.com\/token/,
    });
    assert.equal(browserOpened, false);
    assert.deepEqual(urls().filter((url) => url.startsWith('POST') && url !== `POST ${MCP}`), [], 'nothing registered or exchanged');
  });

  it('stops at the callback step when the response has no code, never calling the token endpoint', async () => {
    const { http, urls } = reportOneServer();
    const withoutCode = async ({ url }: { url: URL }) => {
      const back = new URL(url.searchParams.get('redirect_uri') ?? '');
      back.search = new URLSearchParams({ state: url.searchParams.get('state') ?? '', iss: ISSUER }).toString();
      return back;
    };
    await rejectsWith(login({ serverName: 's', mcpUrl: MCP, clients: new MemoryClientStore() }, { http, now: () => 0, progress: () => undefined, authorizeInteractively: withoutCode }), {
      kind: 'authorization',
      step: 'callback',
      message: /no code/,
    });
    assert.equal(urls().includes(`POST ${ISSUER}/token`), false);
  });

  it('names the server and the step on failure', async () => {
    const { http } = reportOneServer({ [`GET ${PRM}`]: () => json({ resource: 'https://evil.example.com', authorization_servers: [ISSUER] }) });
    await assert.rejects(login({ serverName: 'my-server', mcpUrl: MCP, clients: new MemoryClientStore() }, { http, now: () => 0, progress: () => undefined, authorizeInteractively: approve }), (error: unknown) => {
      assert.equal((error as { server?: string }).server, 'my-server');
      assert.equal((error as { step?: string }).step, 'resource-metadata');
      return true;
    });
  });
});

describe('refreshGrant', () => {
  it('refreshes with the stored snapshot, keeping the grant otherwise', async () => {
    const { http } = reportOneServer({ [`POST ${ISSUER}/token`]: () => json({ access_token: 'at2', token_type: 'Bearer', refresh_token: 'rt2' }) });
    const grant: Grant = {
      serverName: 's',
      mcpUrl: MCP,
      resource: 'https://my-resource-server.example.com',
      issuer: ISSUER,
      authorizationServer: { issuer: ISSUER, token_endpoint: `${ISSUER}/token` },
      client: { issuer: ISSUER, clientId: 'c', tokenEndpointAuthMethod: 'none', redirectUris: [], source: 'dynamic', createdAt: 0 },
      tokens: { accessToken: 'at', refreshToken: 'rt', tokenType: 'Bearer' },
      obtainedAt: 0,
    };
    const fresh = await refreshGrant(grant, { http, now: () => 9 });
    assert.equal(fresh.tokens.accessToken, 'at2');
    assert.equal(fresh.tokens.refreshToken, 'rt2');
    assert.equal(fresh.obtainedAt, 9);
    await rejectsWith(refreshGrant({ ...grant, tokens: { accessToken: 'at', tokenType: 'Bearer' } }, { http, now: () => 0 }), { kind: 'notLoggedIn', step: 'refresh' });
  });
});
