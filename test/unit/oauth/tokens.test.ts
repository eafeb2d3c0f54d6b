import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validateAuthResponse, type AuthorizationServer } from 'oauth4webapi';
import { deviceLogin } from '../../../src/oauth/device.ts';
import type { ClientRecord } from '../../../src/oauth/registration.ts';
import { exchangeCode, lostLogin, refreshTokens, revokeTokens } from '../../../src/oauth/tokens.ts';
import { asMetadata, assertCodexAuthError, httpWith, json, rejectsWith, type RecordedRequest } from './fake-fetch.ts';

const ISSUER = 'https://as.example.com';
const AS = asMetadata(ISSUER, { revocation_endpoint: `${ISSUER}/revoke`, device_authorization_endpoint: `${ISSUER}/device` }) as AuthorizationServer;
const TOKEN = `POST ${ISSUER}/token`;
const RESOURCE = 'https://mcp.example.com/mcp';
const publicClient: ClientRecord = { issuer: ISSUER, clientId: 'pub', tokenEndpointAuthMethod: 'none', redirectUris: [], source: 'dynamic', createdAt: 0 };
const basicClient: ClientRecord = { ...publicClient, clientId: 'conf', clientSecret: 'sec', tokenEndpointAuthMethod: 'client_secret_basic' };
const now = () => 1_000_000;
const form = (request: RecordedRequest | undefined) => new URLSearchParams(request?.body);
const callbackParams = () => validateAuthResponse(AS, { client_id: 'pub' }, new URLSearchParams('code=the-code&state=s'), 's');

function jwt(claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'none' })}.${part(claims)}.sig`;
}

describe('exchangeCode', () => {
  it('sends the code, verifier, redirect URI, client id and resource exactly once', async () => {
    const { http, requests } = httpWith({ [TOKEN]: () => json({ access_token: 'at', token_type: 'Bearer', expires_in: 3600, refresh_token: 'rt', scope: 'a b' }) });
    const tokens = await exchangeCode({ as: AS, client: publicClient, callbackParams: callbackParams(), redirectUri: 'http://127.0.0.1:1/callback', codeVerifier: 'v'.repeat(43), resource: RESOURCE }, http, now);
    const body = form(requests[0]);
    assert.equal(body.get('grant_type'), 'authorization_code');
    assert.equal(body.get('code'), 'the-code');
    assert.equal(body.get('code_verifier'), 'v'.repeat(43));
    assert.equal(body.get('redirect_uri'), 'http://127.0.0.1:1/callback');
    assert.equal(body.get('client_id'), 'pub');
    assert.deepEqual(body.getAll('resource'), [RESOURCE]);
    assert.deepEqual(tokens, { accessToken: 'at', refreshToken: 'rt', tokenType: 'Bearer', expiresAt: 1_000_000 + 3_600_000, scopes: ['a', 'b'] });
  });

  it('authenticates a confidential client with HTTP Basic', async () => {
    const { http, requests } = httpWith({ [TOKEN]: () => json({ access_token: 'at', token_type: 'bearer' }) });
    await exchangeCode({ as: AS, client: basicClient, callbackParams: callbackParams(), redirectUri: 'r', codeVerifier: 'v'.repeat(43), resource: RESOURCE }, http, now);
    assert.equal(requests[0]?.headers.get('authorization'), `Basic ${Buffer.from('conf:sec').toString('base64')}`);
    assert.equal(form(requests[0]).get('client_secret'), null);
  });

  it('takes the expiry from the JWT exp when expires_in is absent, else leaves it unknown', async () => {
    const withExp = httpWith({ [TOKEN]: () => json({ access_token: jwt({ exp: 2_000 }), token_type: 'Bearer' }) });
    const input = { as: AS, client: publicClient, redirectUri: 'r', codeVerifier: 'v'.repeat(43), resource: RESOURCE };
    assert.equal((await exchangeCode({ ...input, callbackParams: callbackParams() }, withExp.http, now)).expiresAt, 2_000_000);
    const opaque = httpWith({ [TOKEN]: () => json({ access_token: 'opaque', token_type: 'Bearer' }) });
    assert.equal((await exchangeCode({ ...input, callbackParams: callbackParams() }, opaque.http, now)).expiresAt, undefined);
  });

  it('rejects non-Bearer token types and a missing access_token', async () => {
    const input = { as: AS, client: publicClient, redirectUri: 'r', codeVerifier: 'v'.repeat(43), resource: RESOURCE };
    for (const type of ['DPoP', 'mac']) {
      const { http } = httpWith({ [TOKEN]: () => json({ access_token: 'at', token_type: type }) });
      await rejectsWith(exchangeCode({ ...input, callbackParams: callbackParams() }, http, now), { kind: 'token', step: 'token-exchange', message: /only Bearer/ });
    }
    const { http } = httpWith({ [TOKEN]: () => json({ token_type: 'Bearer' }) });
    await rejectsWith(exchangeCode({ ...input, callbackParams: callbackParams() }, http, now), { kind: 'token', message: /no access_token/ });
  });

  it('reports what the server said on refusal', async () => {
    const { http } = httpWith({ [TOKEN]: () => json({ error: 'invalid_target', error_description: 'unknown resource' }, 400) });
    await rejectsWith(
      exchangeCode({ as: AS, client: publicClient, callbackParams: callbackParams(), redirectUri: 'r', codeVerifier: 'v'.repeat(43), resource: RESOURCE }, http, now),
      { kind: 'token', step: 'token-exchange', serverSaid: /^invalid_target: unknown resource$/ },
    );
  });
});

describe('exchangeCode: answers oauth4webapi would let through or misreport', () => {
  const input = { as: AS, client: publicClient, redirectUri: 'r', codeVerifier: 'v'.repeat(43), resource: RESOURCE };
  const exchangeWith = (respond: () => Response) => exchangeCode({ ...input, callbackParams: callbackParams() }, httpWith({ [TOKEN]: respond }).http, now);
  const good = { access_token: 'at', token_type: 'Bearer' };

  for (const [name, value] of [
    ['a string that is no number', '3600s'],
    ['a string of digits over ten years', String(11 * 365 * 24 * 3600)],
    ['a negative string', '-5'],
    ['negative', -5],
    ['huge', 1e300],
    ['over ten years', 10 * 366 * 24 * 3600],
    ['null', null],
  ] as const) {
    it(`ignores expires_in ${name}: the expiry comes from the JWT exp, else stays unknown`, async () => {
      const trail: string[] = [];
      const http = httpWith({ [TOKEN]: () => json({ ...good, expires_in: value }) }, { debug: (line) => trail.push(line) }).http;
      assert.equal((await exchangeCode({ ...input, callbackParams: callbackParams() }, http, now)).expiresAt, undefined);
      assert.ok(trail.some((line) => line.startsWith('ignored an unusable expires_in')), 'noted in the --debug trail');
      const withExp = await exchangeWith(() => json({ ...good, access_token: jwt({ exp: 2_000 }), expires_in: value }));
      assert.equal(withExp.expiresAt, 2_000_000);
    });
  }

  it('reads expires_in written as a string of digits (Entra v1, SAP) as seconds', async () => {
    assert.equal((await exchangeWith(() => json({ ...good, expires_in: '3599' }))).expiresAt, 1_000_000 + 3_599_000);
    assert.equal((await exchangeWith(() => json({ ...good, access_token: jwt({ exp: 2_000 }), expires_in: '60' }))).expiresAt, 1_060_000, 'expires_in wins over the JWT exp, as a number would');
  });

  it('accepts expires_in from 0 up to ten years, always as a valid date', async () => {
    assert.equal((await exchangeWith(() => json({ ...good, expires_in: 0 }))).expiresAt, 1_000_000);
    const tenYears = 10 * 365 * 24 * 3600;
    const { expiresAt } = await exchangeWith(() => json({ ...good, expires_in: tenYears }));
    assert.equal(expiresAt, 1_000_000 + tenYears * 1000);
    assert.ok(Number.isFinite(new Date(expiresAt ?? Number.NaN).getTime()));
  });

  it('leaves the expiry unknown for a JWT exp that is not a plausible date', async () => {
    for (const exp of [1e300, -1, 'soon']) {
      assert.equal((await exchangeWith(() => json({ ...good, access_token: jwt({ exp }) }))).expiresAt, undefined, `exp ${String(exp)}`);
    }
  });

  it('reports an HTML error page with its status, not as a missing access_token', async () => {
    const page = () => new Response('<!doctype html><h1>Oops</h1>', { status: 500, headers: { 'content-type': 'text/html' } });
    await rejectsWith(exchangeWith(page), { kind: 'token', step: 'token-exchange', message: /failed: HTTP 500, an HTML page \(text\/html\) instead of JSON/ });
  });

  it('reports a JSON answer without an OAuth error by its status', async () => {
    await rejectsWith(exchangeWith(() => json({ message: 'overloaded' }, 503)), { kind: 'token', message: /failed: HTTP 503, without an OAuth error/ });
  });

  it('refuses a token answer not declared as JSON', async () => {
    await rejectsWith(exchangeWith(() => new Response(JSON.stringify(good), { headers: { 'content-type': 'text/plain' } })), { kind: 'token', message: /HTTP 200, plain text/ });
  });

  it('still reads invalid_client from a 401 challenge whatever its body', async () => {
    const challenge = () => new Response('<html>', { status: 401, headers: { 'content-type': 'text/html', 'www-authenticate': 'Basic error="invalid_client"' } });
    await rejectsWith(exchangeWith(challenge), { kind: 'token', serverSaid: /^invalid_client/ });
  });
});

describe('refreshTokens', () => {
  const input = { as: AS, client: publicClient, refreshToken: 'old-rt', resource: RESOURCE, scopes: ['a', 'offline_access'] };

  it('sends refresh token, resource once and scope; keeps a rotated refresh token', async () => {
    const { http, requests } = httpWith({ [TOKEN]: () => json({ access_token: 'at2', token_type: 'Bearer', refresh_token: 'new-rt', expires_in: 60 }) });
    const tokens = await refreshTokens(input, http, now);
    const body = form(requests[0]);
    assert.equal(body.get('grant_type'), 'refresh_token');
    assert.equal(body.get('refresh_token'), 'old-rt');
    assert.deepEqual(body.getAll('resource'), [RESOURCE]);
    assert.equal(body.get('scope'), 'a offline_access');
    assert.equal(tokens.refreshToken, 'new-rt');
    assert.deepEqual(tokens.scopes, ['a', 'offline_access']);
  });

  it('keeps the old refresh token when none is returned', async () => {
    const { http } = httpWith({ [TOKEN]: () => json({ access_token: 'at2', token_type: 'Bearer' }) });
    assert.equal((await refreshTokens(input, http, now)).refreshToken, 'old-rt');
  });

  it('marks invalid_grant and invalid_client as final; only invalid_client rejects the registration', async () => {
    const { http } = httpWith({ [TOKEN]: () => json({ error: 'invalid_grant', error_description: 'token revoked' }, 400) });
    const error = await refreshTokens(input, http, now).catch((e: unknown) => e);
    assert.deepEqual(lostLogin(error), { reason: 'the server rejected the refresh token (invalid_grant)', clientRejected: false });
    await rejectsWith(Promise.reject(error), { kind: 'token', step: 'refresh', serverSaid: /^invalid_grant: token revoked$/ });
    const unknownClient = httpWith({ [TOKEN]: () => json({ error: 'invalid_client', error_description: 'client not found' }, 401) });
    assert.equal(lostLogin(await refreshTokens(input, unknownClient.http, now).catch((e: unknown) => e))?.clientRejected, true);
    const other = httpWith({ [TOKEN]: () => json({ error: 'server_error' }, 500) });
    assert.equal(lostLogin(await refreshTokens(input, other.http, now).catch((e: unknown) => e)), undefined);
  });

  it('sends the granted scopes space-separated, and none when the server granted an empty scope', async () => {
    const { http, requests } = httpWith({ [TOKEN]: () => json({ access_token: 'at2', token_type: 'bearer', scope: 'mcp:tools,offline_access' }) });
    const tokens = await refreshTokens({ ...input, scopes: ['mcp:tools', 'offline_access'] }, http, now);
    assert.equal(form(requests[0]).get('scope'), 'mcp:tools offline_access');
    assert.deepEqual(tokens.scopes, ['mcp:tools', 'offline_access'], 'a comma-separated answer is read as a list');
    await refreshTokens({ ...input, scopes: [] }, http, now);
    assert.equal(form(requests[1]).has('scope'), false);
  });

  it('screens the answer like the exchange: content type checked, a bad expires_in ignored, digits read', async () => {
    const page = httpWith({ [TOKEN]: () => new Response('<h1>down</h1>', { status: 503, headers: { 'content-type': 'text/html' } }) });
    await rejectsWith(refreshTokens(input, page.http, now), { kind: 'token', step: 'refresh', message: /HTTP 503, an HTML page/ });
    const text = httpWith({ [TOKEN]: () => json({ access_token: 'at2', token_type: 'Bearer', refresh_token: 'rotated', expires_in: 'sixty' }) });
    const tokens = await refreshTokens(input, text.http, now);
    assert.equal(tokens.refreshToken, 'rotated', 'a rotated refresh token is never lost to a bad expires_in');
    assert.equal(tokens.expiresAt, undefined);
    const digits = httpWith({ [TOKEN]: () => json({ access_token: 'at3', token_type: 'Bearer', expires_in: '60' }) });
    assert.equal((await refreshTokens(input, digits.http, now)).expiresAt, 1_060_000);
  });
});

describe('token answers judged by their body, not their status', () => {
  const exchange = (respond: () => Response) =>
    exchangeCode({ as: AS, client: publicClient, callbackParams: callbackParams(), redirectUri: 'r', codeVerifier: 'v'.repeat(43), resource: RESOURCE }, httpWith({ [TOKEN]: respond }).http, now);

  it('takes any 2xx holding access_token and token_type as success (Supabase: 201), with its expiry', async () => {
    for (const status of [201, 202]) {
      const tokens = await exchange(() => json({ access_token: 'at', token_type: 'bearer', expires_in: 60, refresh_token: 'rt' }, status));
      assert.deepEqual(tokens, { accessToken: 'at', tokenType: 'Bearer', refreshToken: 'rt', expiresAt: 1_060_000 });
    }
    const refreshed = await refreshTokens({ as: AS, client: publicClient, refreshToken: 'rt', resource: RESOURCE }, httpWith({ [TOKEN]: () => json({ access_token: 'at2', token_type: 'Bearer' }, 201) }).http, now);
    assert.equal(refreshed.accessToken, 'at2');
  });

  it('a 2xx without a token is still no success', async () => {
    await rejectsWith(exchange(() => json({ token_type: 'Bearer' }, 201)), { kind: 'token', message: /HTTP 201, without an OAuth error/ });
  });

  it('reads an error in a 200 (GitHub) or a 5xx body as the refusal it is, status named', async () => {
    await rejectsWith(exchange(() => json({ error: 'bad_verification_code', error_description: 'The code passed is incorrect or expired.' })), {
      kind: 'token',
      message: /was refused \(HTTP 200\)/,
      serverSaid: /^bad_verification_code: The code passed is incorrect or expired\.$/,
    });
    const refusal = await refreshTokens({ as: AS, client: publicClient, refreshToken: 'rt', resource: RESOURCE }, httpWith({ [TOKEN]: () => json({ error: 'invalid_grant' }) }).http, now).catch((e: unknown) => e);
    assert.equal(lostLogin(refusal)?.reason, 'the server rejected the refresh token (invalid_grant)');
    const busy = await exchange(() => json({ error: 'temporarily_unavailable' }, 503, { 'retry-after': '1' })).catch((e: unknown) => e);
    assertCodexAuthError(busy, { message: /refused \(HTTP 503\)/, serverSaid: /^temporarily_unavailable$/ });
    assert.match((busy as { hint?: string }).hint ?? '', /^The server is unavailable \(HTTP 503\); try again in 1 s, as it asks \(Retry-After\)\.$/);
  });

  it('a device grant pending in a 200 (GitHub) keeps polling', async () => {
    let polls = 0;
    const { http } = httpWith({
      [`POST ${ISSUER}/device`]: () => json({ device_code: 'dc', user_code: 'U', verification_uri: `${ISSUER}/activate`, expires_in: 600 }),
      [TOKEN]: () => (++polls < 3 ? json({ error: 'authorization_pending' }) : json({ access_token: 'at', token_type: 'bearer', scope: 'repo,read:org' }, 201)),
    });
    const tokens = await deviceLogin({ as: AS, client: publicClient, resource: RESOURCE, showDeviceCode: () => undefined }, { http, now, sleep: async () => undefined });
    assert.equal(polls, 3);
    assert.deepEqual(tokens.scopes, ['repo', 'read:org']);
  });
});

describe('revokeTokens', () => {
  it('revokes the refresh token first, then the access token', async () => {
    const { http, requests } = httpWith({ [`POST ${ISSUER}/revoke`]: () => new Response(null, { status: 200 }) });
    await revokeTokens({ as: AS, client: publicClient, tokens: { accessToken: 'at', refreshToken: 'rt', tokenType: 'Bearer' } }, http);
    assert.deepEqual(requests.map((r) => [form(r).get('token'), form(r).get('token_type_hint')]), [['rt', 'refresh_token'], ['at', 'access_token']]);
  });

  it('does nothing without a revocation endpoint, and reports a failure after trying both', async () => {
    const none = httpWith({});
    await revokeTokens({ as: { ...AS, revocation_endpoint: undefined }, client: publicClient, tokens: { accessToken: 'at', tokenType: 'Bearer' } }, none.http);
    assert.equal(none.requests.length, 0);
    const failing = httpWith({ [`POST ${ISSUER}/revoke`]: () => json({ error: 'invalid_client' }, 401) });
    await rejectsWith(revokeTokens({ as: AS, client: publicClient, tokens: { accessToken: 'at', refreshToken: 'rt', tokenType: 'Bearer' } }, failing.http), { step: 'revocation' });
    assert.equal(failing.requests.length, 2);
  });

  it('a token type the server does not revoke (a JWT access token) is no failure (RFC 7009 2.2.1)', async () => {
    const { http, requests } = httpWith({
      [`POST ${ISSUER}/revoke`]: (request) => (form(request).get('token_type_hint') === 'access_token' ? json({ error: 'unsupported_token_type' }, 400) : new Response(null, { status: 200 })),
    });
    await revokeTokens({ as: AS, client: publicClient, tokens: { accessToken: 'at', refreshToken: 'rt', tokenType: 'Bearer' } }, http);
    assert.equal(requests.length, 2);
  });
});

describe('deviceLogin', () => {
  it('shows the code, polls with the interval, slows down, and sends resource and scope', async () => {
    let polls = 0;
    const { http, requests } = httpWith({
      [`POST ${ISSUER}/device`]: () => json({ device_code: 'dc', user_code: 'ABCD-EFGH', verification_uri: `${ISSUER}/activate`, expires_in: 600, interval: 2 }),
      [TOKEN]: () => {
        polls += 1;
        if (polls === 1) return json({ error: 'authorization_pending' }, 400);
        if (polls === 2) return json({ error: 'slow_down' }, 400);
        return json({ access_token: 'at', token_type: 'Bearer' });
      },
    });
    const waits: number[] = [];
    const shown: string[] = [];
    const tokens = await deviceLogin(
      { as: AS, client: publicClient, scopes: ['a', 'b'], resource: RESOURCE, showDeviceCode: (info) => shown.push(`${info.userCode} at ${info.verificationUri}`) },
      { http, now, sleep: async (ms) => void waits.push(ms) },
    );
    assert.equal(tokens.accessToken, 'at');
    assert.deepEqual(shown, [`ABCD-EFGH at ${ISSUER}/activate`]);
    assert.deepEqual(waits, [2000, 2000, 7000]);
    assert.equal(form(requests[0]).get('scope'), 'a b');
    assert.deepEqual(form(requests[0]).getAll('resource'), [RESOURCE]);
    assert.deepEqual(form(requests[1]).getAll('resource'), [RESOURCE]);
    assert.equal(form(requests[1]).get('device_code'), 'dc');
  });

  it('stops on access_denied with what the server said', async () => {
    const { http } = httpWith({
      [`POST ${ISSUER}/device`]: () => json({ device_code: 'dc', user_code: 'U', verification_uri: `${ISSUER}/activate`, expires_in: 600 }),
      [TOKEN]: () => json({ error: 'access_denied' }, 400),
    });
    await rejectsWith(deviceLogin({ as: AS, client: publicClient, resource: RESOURCE, showDeviceCode: () => undefined }, { http, now, sleep: async () => undefined }), {
      step: 'device-authorization',
      serverSaid: /^access_denied$/,
    });
  });

  it('checks the device answer and the tokens like any other', async () => {
    const device = () => json({ device_code: 'dc', user_code: 'U', verification_uri: `${ISSUER}/activate`, expires_in: 600 });
    const login = (routes: Parameters<typeof httpWith>[0]) =>
      deviceLogin({ as: AS, client: publicClient, resource: RESOURCE, showDeviceCode: () => undefined }, { http: httpWith(routes).http, now, sleep: async () => undefined });
    await rejectsWith(login({ [`POST ${ISSUER}/device`]: () => new Response('<html>', { headers: { 'content-type': 'text/html' } }) }), {
      step: 'device-authorization',
      message: /HTTP 200, an HTML page/,
    });
    const tokens = await login({ [`POST ${ISSUER}/device`]: device, [TOKEN]: () => json({ access_token: 'at', token_type: 'Bearer', expires_in: 'never' }) });
    assert.equal(tokens.expiresAt, undefined);
  });
});
