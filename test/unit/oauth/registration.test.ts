import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AuthorizationServer } from 'oauth4webapi';
import { buildAuthorizationRequest } from '../../../src/oauth/authorize.ts';
import { clientAuthentication, preRegisteredClient, registerClient, type ClientRecord } from '../../../src/oauth/registration.ts';
import { asMetadata, assertCodexAuthError, httpWith, json, rejectsWith } from './fake-fetch.ts';

const ISSUER = 'https://api.fastmail.com';
const AS = asMetadata(ISSUER, { registration_endpoint: `${ISSUER}/oauth/register`, token_endpoint_auth_methods_supported: ['none'] }) as AuthorizationServer;
const REDIRECT = 'http://127.0.0.1:53682/callback';
const now = () => 1_000;

describe('registerClient', () => {
  it('sends the native public client body with space-separated scope (user report 2)', async () => {
    const { http, requests } = httpWith({ [`POST ${ISSUER}/oauth/register`]: () => json({ client_id: 'c1', redirect_uris: [REDIRECT] }, 201) });
    const record = await registerClient(AS, { redirectUri: REDIRECT, scopes: ['https://www.fastmail.com/dev/mcp', 'offline_access'], clientName: 'codex-auth' }, http, now);
    assert.deepEqual(JSON.parse(requests[0]?.body ?? ''), {
      client_name: 'codex-auth',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: [REDIRECT],
      token_endpoint_auth_method: 'none',
      application_type: 'native',
      scope: 'https://www.fastmail.com/dev/mcp offline_access',
    });
    assert.deepEqual(record, {
      issuer: ISSUER,
      clientId: 'c1',
      tokenEndpointAuthMethod: 'none',
      redirectUris: [REDIRECT],
      scope: 'https://www.fastmail.com/dev/mcp offline_access',
      source: 'dynamic',
      createdAt: 1_000,
    });
  });

  it('asks for the refresh_token grant only when the server does not leave it out of grant_types_supported', async () => {
    const { http, requests } = httpWith({ [`POST ${ISSUER}/oauth/register`]: () => json({ client_id: 'c' }, 201) });
    await registerClient({ ...AS, grant_types_supported: ['implicit', 'authorization_code'] }, { redirectUri: REDIRECT, clientName: 'n' }, http, now);
    await registerClient({ ...AS, grant_types_supported: ['authorization_code', 'refresh_token'] }, { redirectUri: REDIRECT, clientName: 'n' }, http, now);
    await registerClient({ ...AS, grant_types_supported: ['urn:ietf:params:oauth:grant-type:device_code'] }, { clientName: 'n', deviceFlow: true }, http, now);
    assert.deepEqual(requests.map((request) => JSON.parse(request.body).grant_types), [['authorization_code'], ['authorization_code', 'refresh_token'], ['urn:ietf:params:oauth:grant-type:device_code']]);
  });

  it('omits scope when none is known', async () => {
    const { http, requests } = httpWith({ [`POST ${ISSUER}/oauth/register`]: () => json({ client_id: 'c1' }, 201) });
    await registerClient(AS, { redirectUri: REDIRECT, clientName: 'codex-auth' }, http, now);
    assert.equal('scope' in JSON.parse(requests[0]?.body ?? ''), false);
  });

  it('honours a returned secret and authentication method', async () => {
    const { http } = httpWith({
      [`POST ${ISSUER}/oauth/register`]: () => json({ client_id: 'c2', client_secret: 's3cret', client_secret_expires_at: 0, token_endpoint_auth_method: 'client_secret_post' }, 201),
    });
    const record = await registerClient(AS, { redirectUri: REDIRECT, clientName: 'codex-auth' }, http, now);
    assert.equal(record.clientSecret, 's3cret');
    assert.equal(record.tokenEndpointAuthMethod, 'client_secret_post');
  });

  it('defaults a secret without a method to client_secret_basic (RFC 7591 §2)', async () => {
    const { http } = httpWith({ [`POST ${ISSUER}/oauth/register`]: () => json({ client_id: 'c3', client_secret: 'x', client_secret_expires_at: 0 }, 201) });
    assert.equal((await registerClient(AS, { redirectUri: REDIRECT, clientName: 'n' }, http, now)).tokenEndpointAuthMethod, 'client_secret_basic');
  });

  it('asks for a confidential client when the server takes no public ones', async () => {
    const as = { ...AS, token_endpoint_auth_methods_supported: ['client_secret_basic'] };
    const { http, requests } = httpWith({ [`POST ${ISSUER}/oauth/register`]: () => json({ client_id: 'c', client_secret: 'x', client_secret_expires_at: 0 }, 201) });
    await registerClient(as, { redirectUri: REDIRECT, clientName: 'n' }, http, now);
    assert.equal(JSON.parse(requests[0]?.body ?? '').token_endpoint_auth_method, 'client_secret_basic');
  });

  it('accepts a secret without client_secret_expires_at as never expiring (servers omit it)', async () => {
    const { http } = httpWith({ [`POST ${ISSUER}/oauth/register`]: () => json({ client_id: 'c4', client_secret: 's3cret', token_endpoint_auth_method: 'client_secret_post' }, 201) });
    const record = await registerClient(AS, { redirectUri: REDIRECT, clientName: 'n' }, http, now);
    assert.equal(record.clientSecret, 's3cret');
    assert.equal(record.tokenEndpointAuthMethod, 'client_secret_post');
  });

  it('takes a 200 holding a client_id as a registration (Gluu oxAuth), a secret without expiry included', async () => {
    const { http } = httpWith({ [`POST ${ISSUER}/oauth/register`]: () => json({ client_id: 'c5', client_secret: 's3cret', client_id_issued_at: 1, registration_access_token: 'rat', extra: { x: 1 } }, 200) });
    const record = await registerClient(AS, { redirectUri: REDIRECT, clientName: 'n' }, http, now);
    assert.equal(record.clientId, 'c5');
    assert.equal(record.clientSecret, 's3cret');
  });

  for (const [name, body] of [
    ['without a client_id', { client_name: 'n' }],
    ['holding an error', { client_id: 'c6', error: 'invalid_client_metadata' }],
  ] as const) {
    it(`still refuses a 200 ${name}`, async () => {
      const { http } = httpWith({ [`POST ${ISSUER}/oauth/register`]: () => json(body, 200) });
      await rejectsWith(registerClient(AS, { redirectUri: REDIRECT, clientName: 'n' }, http, now), { kind: 'registration', step: 'registration' });
    });
  }

  it('reports a registration refused for its details with what the server said', async () => {
    const { http } = httpWith({ [`POST ${ISSUER}/oauth/register`]: () => json({ error: 'invalid_request', error_description: 'invalid_request no scope' }, 400) });
    const error = await registerClient(AS, { redirectUri: REDIRECT, clientName: 'n' }, http, now).catch((e: unknown) => e);
    assertCodexAuthError(error, {
      kind: 'registration',
      step: 'registration',
      message: /refused \(HTTP 400\): the server rejected the registration details \(the registration was sent as client_name "n"\)/,
      serverSaid: /^invalid_request: invalid_request no scope$/,
    });
    assert.match((error as { hint: string }).hint, /--scopes.*--client-name/);
  });

  it('reports a 403 or a 400 that is not about scope as a server that takes only approved clients (Figma, Vercel)', async () => {
    const register = `POST ${ISSUER}/oauth/register`;
    const forbidden = httpWith({ [register]: () => new Response('Forbidden', { status: 403, headers: { 'content-type': 'text/plain' } }) });
    const error = await registerClient(AS, { redirectUri: REDIRECT, clientName: 'codex-auth' }, forbidden.http, now).catch((e: unknown) => e);
    assertCodexAuthError(error, { kind: 'registration', message: /HTTP 403\): this server only accepts registrations from approved clients, and the registration was sent as client_name "codex-auth"/, serverSaid: /^Forbidden$/ });
    for (const option of ['--client-name', '--client-id', '--client-metadata-url']) assert.match((error as Error & { hint: string }).hint, new RegExp(option));
    const reviewed = httpWith({ [register]: () => json({ error: 'invalid_client_metadata', error_description: 'client_name is not on the allow list' }, 400) });
    await rejectsWith(registerClient(AS, { redirectUri: REDIRECT, clientName: 'My Tool' }, reviewed.http, now), {
      message: /approved clients, and the registration was sent as client_name "My Tool"/,
      serverSaid: /^invalid_client_metadata: client_name is not on the allow list$/,
    });
    const page = httpWith({ [register]: () => new Response('<html><body>Access denied</body></html>', { status: 403, headers: { 'content-type': 'text/html' } }) });
    await rejectsWith(registerClient(AS, { redirectUri: REDIRECT, clientName: 'n' }, page.http, now), { message: /approved clients/, noServerSaid: true });
  });

  it('uses a secret issued with token_endpoint_auth_method "none" (Figma), the way the server takes secrets', async () => {
    const figma = { ...AS, token_endpoint_auth_methods_supported: ['client_secret_post', 'none'] };
    const { http } = httpWith({ [`POST ${ISSUER}/oauth/register`]: () => json({ client_id: 'fig', client_secret: 'shh', client_secret_expires_at: 0, token_endpoint_auth_method: 'none' }, 201) });
    const record = await registerClient(figma, { redirectUri: REDIRECT, clientName: 'n' }, http, now);
    assert.equal(record.clientSecret, 'shh');
    assert.equal(record.tokenEndpointAuthMethod, 'client_secret_post');
    const basic = await registerClient(AS, { redirectUri: REDIRECT, clientName: 'n' }, http, now);
    assert.equal(basic.tokenEndpointAuthMethod, 'client_secret_basic', 'RFC 8414 §2: basic unless the server lists only post');
  });

  it('reports an answer not declared as JSON with its status', async () => {
    const register = `POST ${ISSUER}/oauth/register`;
    const page = httpWith({ [register]: () => new Response('<h1>Oops</h1>', { status: 500, headers: { 'content-type': 'text/html' } }) });
    await rejectsWith(registerClient(AS, { redirectUri: REDIRECT, clientName: 'n' }, page.http, now), {
      kind: 'registration',
      step: 'registration',
      message: /failed: HTTP 500, an HTML page \(text\/html\) instead of JSON/,
    });
    const text = httpWith({ [register]: () => new Response(JSON.stringify({ client_id: 'c' }), { status: 201, headers: { 'content-type': 'text/plain' } }) });
    await rejectsWith(registerClient(AS, { redirectUri: REDIRECT, clientName: 'n' }, text.http, now), { kind: 'registration', message: /HTTP 201, plain text/ });
  });

  it('explains when the server has no registration endpoint', async () => {
    const as = { ...AS, registration_endpoint: undefined };
    await rejectsWith(registerClient(as, { redirectUri: REDIRECT, clientName: 'n' }, httpWith({}).http, now), { kind: 'registration', message: /no way to register/ });
  });
});

describe('pre-registered clients and client authentication', () => {
  it('sends a secret the way the server prefers', () => {
    assert.equal(preRegisteredClient(AS, { clientId: 'id', clientSecret: 's' }, REDIRECT, now).tokenEndpointAuthMethod, 'client_secret_basic');
    const postOnly = { ...AS, token_endpoint_auth_methods_supported: ['client_secret_post'] };
    assert.equal(preRegisteredClient(postOnly, { clientId: 'id', clientSecret: 's' }, REDIRECT, now).tokenEndpointAuthMethod, 'client_secret_post');
    assert.equal(preRegisteredClient(AS, { clientId: 'id' }, REDIRECT, now).tokenEndpointAuthMethod, 'none');
    assert.equal(preRegisteredClient(AS, { clientId: 'id', clientSecret: 's', tokenEndpointAuthMethod: 'client_secret_post' }, REDIRECT, now).tokenEndpointAuthMethod, 'client_secret_post');
  });

  it('sends client_secret_basic form-urlencoded before base64 (RFC 6749 §2.3.1)', async () => {
    const headerFor = async (clientId: string, secret: string) => {
      const headers = new Headers();
      const record: ClientRecord = { issuer: ISSUER, clientId, clientSecret: secret, tokenEndpointAuthMethod: 'client_secret_basic', redirectUris: [], source: 'pre-registered', createdAt: 0 };
      await clientAuthentication(record)(AS, { client_id: clientId }, new URLSearchParams(), headers);
      return Buffer.from((headers.get('authorization') ?? '').replace(/^Basic /, ''), 'base64').toString('utf8');
    };
    assert.equal(await headerFor('pre-registered-client', 'pre-registered-secret'), 'pre-registered-client:pre-registered-secret', 'unreserved characters stay as they are');
    const encoded = await headerFor('id with:colon', 'pa ss/+%é~');
    assert.equal(encoded, 'id+with%3Acolon:pa+ss%2F%2B%25%C3%A9%7E');
    // How a decoding server (oidc-provider) reads it back.
    const [id, secret] = encoded.split(':').map((part) => decodeURIComponent(part.replace(/\+/g, '%20')));
    assert.deepEqual([id, secret], ['id with:colon', 'pa ss/+%é~']);
  });

  it('refuses unsupported methods and missing secrets', () => {
    const base: ClientRecord = { issuer: ISSUER, clientId: 'id', tokenEndpointAuthMethod: 'private_key_jwt', redirectUris: [], source: 'pre-registered', createdAt: 0 };
    assert.throws(() => clientAuthentication(base), (error) => assertCodexAuthError(error, { kind: 'registration', message: /private_key_jwt/ }));
    assert.throws(() => clientAuthentication({ ...base, tokenEndpointAuthMethod: 'client_secret_basic' }), (error) => assertCodexAuthError(error, { message: /no client secret/ }));
  });
});

describe('buildAuthorizationRequest', () => {
  const client: ClientRecord = { issuer: ISSUER, clientId: 'codex_xxx', tokenEndpointAuthMethod: 'none', redirectUris: [REDIRECT], source: 'dynamic', createdAt: 0 };

  it('carries PKCE S256, state, scope and resource exactly once', async () => {
    const as = { ...AS, authorization_endpoint: `${ISSUER}/oauth/authorize?prompt=consent&resource=https://wrong.example` };
    const request = await buildAuthorizationRequest({ as, client, redirectUri: REDIRECT, scopes: ['a', 'b'], resource: 'https://my-resource-server.example.com' });
    const params = request.url.searchParams;
    for (const name of ['response_type', 'client_id', 'redirect_uri', 'state', 'code_challenge', 'code_challenge_method', 'scope', 'resource']) {
      assert.equal(params.getAll(name).length, 1, name);
    }
    assert.equal(params.get('response_type'), 'code');
    assert.equal(params.get('client_id'), 'codex_xxx');
    assert.equal(params.get('redirect_uri'), REDIRECT);
    assert.equal(params.get('code_challenge_method'), 'S256');
    assert.equal(params.get('scope'), 'a b');
    assert.equal(params.get('resource'), 'https://my-resource-server.example.com');
    assert.equal(params.get('prompt'), 'consent', 'keeps the endpoint query');
    assert.equal(params.get('state'), request.state);
    assert.ok(request.codeVerifier.length >= 43 && request.codeVerifier.length <= 128);
    const { createHash } = await import('node:crypto');
    assert.equal(params.get('code_challenge'), createHash('sha256').update(request.codeVerifier).digest('base64url'));
  });

  it('asks for consent when it asks for offline_access (OIDC Core §11), and only then', async () => {
    const offline = await buildAuthorizationRequest({ as: AS, client, redirectUri: REDIRECT, scopes: ['mcp', 'offline_access'], resource: 'https://r.example' });
    assert.deepEqual(offline.url.searchParams.getAll('prompt'), ['consent']);
    const online = await buildAuthorizationRequest({ as: AS, client, redirectUri: REDIRECT, scopes: ['mcp'], resource: 'https://r.example' });
    assert.equal(online.url.searchParams.has('prompt'), false);
  });

  it('omits scope when none was selected and uses fresh state and verifier each time', async () => {
    const one = await buildAuthorizationRequest({ as: AS, client, redirectUri: REDIRECT, resource: 'https://r.example' });
    const two = await buildAuthorizationRequest({ as: AS, client, redirectUri: REDIRECT, resource: 'https://r.example' });
    assert.equal(one.url.searchParams.has('scope'), false);
    assert.notEqual(one.state, two.state);
    assert.notEqual(one.codeVerifier, two.codeVerifier);
  });

  it('refuses a non-https authorization endpoint', async () => {
    await rejectsWith(buildAuthorizationRequest({ as: { ...AS, authorization_endpoint: 'http://as.example.com/authorize' }, client, redirectUri: REDIRECT, resource: 'r' }), { step: 'authorization' });
  });
});
