// Issue #12 end to end: servers that bend the specs the way Supabase, GitHub, Figma, Google, AWS,
// single-page apps and stock OpenID providers do (oidc-provider and the SDK MCP server with the
// quirks of test/peers, see real-servers.ts), driven only through the CLI. Each case proves the
// login by a real MCP client calling a tool with the token `run` gives it.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { makeCallbackBrowser, sendJson, startHostileServer } from '../hardening/hostile-server.ts';
import { closeServer, listenOnLoopback } from '../peers/net.ts';
import { ageStoredToken, authorizationRequests, deviceLogin, jwtClaims, storedState, withLayout } from './fixtures.ts';
import { assertNoSecrets, createSandbox, readJson, runCli, serverStateFile } from './harness.ts';
import { callToolsThroughRun, ENTRA_APP_ID_URI, loginAndCallTool, REAL_SERVERS } from './real-servers.ts';

/** Runs `run --strict` with an expired token, so that it refreshes; the refreshed token must work. */
async function refreshAndCallTool(layout: Parameters<Parameters<typeof withLayout>[1]>[0]) {
  const before = storedState(layout.sandbox)!.grant!.tokens;
  ageStoredToken(layout.sandbox, -60_000);
  const { run, report } = await callToolsThroughRun(layout.sandbox, layout.mcp.url);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(report.calls.whoami?.text, layout.mcp.marker);
  const after = storedState(layout.sandbox)!.grant!.tokens;
  assert.notEqual(after.accessToken, before.accessToken, 'the token was refreshed');
  return { before, after, run };
}

describe('1. token endpoint success with 201, errors with 200 (Supabase, GitHub)', () => {
  it('Supabase: a 201 with a token is a success for the code exchange and the refresh', async () => {
    await withLayout(REAL_SERVERS.supabase.layout, async (layout) => {
      await loginAndCallTool(layout);
      await refreshAndCallTool(layout);
      const statuses = layout.auth.tokenRequests().map((request) => request.status);
      assert.deepEqual(statuses, [201, 201], 'the server really answered 201 both times');
    });
  });

  it('GitHub: invalid_grant answered with HTTP 200 on refresh drops the login instead of reading it as a token', async () => {
    await withLayout(REAL_SERVERS.github.layout, async (layout) => {
      await loginAndCallTool(layout);
      const state = storedState(layout.sandbox)!;
      // Replaying an old refresh token makes oidc-provider revoke the grant: the next refresh is invalid_grant.
      await refreshAndCallTool(layout);
      const replay = await postToken(layout.auth.issuer, { grant_type: 'refresh_token', refresh_token: state.grant!.tokens.refreshToken!, client_id: state.grant!.client.clientId, resource: layout.mcp.resource });
      assert.equal(replay.status, 200, 'the server answers its error with 200');
      assert.equal(replay.body.error, 'invalid_grant');
      ageStoredToken(layout.sandbox, -60_000);
      const run = await runCli(layout.sandbox, ['run', '--strict', '--', process.execPath, '-e', '0']);
      assert.equal(run.code, 11, run.stderr);
      assert.match(run.stderr, /invalid_grant/);
      assert.equal(storedState(layout.sandbox)?.grant, undefined, 'the rejected grant is dropped');
      assert.equal(layout.auth.tokenRequests('refresh_token').at(-1)?.status, 200);
    });
  });
});

describe('1. the device grant judged by its body too (GitHub answers "pending" with 200)', () => {
  it('keeps polling through authorization_pending answered with 200, and takes the 201 with the token', async () => {
    const layout = { auth: { deviceFlow: true, quirks: { tokenErrorStatus: 200, tokenSuccessStatus: 201 } }, mcp: { scopesSupported: ['mcp:read', 'mcp:write'] } };
    await withLayout(layout, async (layout) => {
      const polls = () => layout.auth.tokenRequests(DEVICE_CODE_GRANT);
      // The person approves only after the client has met a pending answer.
      const result = await deviceLogin(layout.sandbox, 'demo', () => waitFor(() => polls().some((poll) => poll.status === 200)));
      assert.equal(result.code, 0, result.stderr);
      assert.deepEqual(polls().map((poll) => poll.status).slice(-2), [200, 201]);
      const { report } = await callToolsThroughRun(layout.sandbox, layout.mcp.url);
      assert.equal(report.calls.whoami?.text, layout.mcp.marker);
    });
  });
});

describe('2. granted scopes that are not space-delimited (GitHub, GitHub Apps)', () => {
  it('a comma-separated grant is stored as a list and sent back space-separated; no step-up', async () => {
    await withLayout(REAL_SERVERS.github.layout, async (layout) => {
      await loginAndCallTool(layout);
      const granted = storedState(layout.sandbox)!.grant!.tokens.scopes;
      assert.ok(granted && granted.length > 1 && granted.every((scope) => !scope.includes(',')), `stored as a list: ${JSON.stringify(granted)}`);
      assert.ok(layout.auth.tokenRequests('authorization_code').length === 1);
      // The server really refuses the comma string as a scope, which is what a refresh used to send.
      const state = storedState(layout.sandbox)!.grant!;
      const commaRefresh = await postToken(layout.auth.issuer, { grant_type: 'refresh_token', refresh_token: state.tokens.refreshToken!, client_id: state.client.clientId, resource: layout.mcp.resource, scope: granted.join(',') });
      assert.equal(commaRefresh.body.error, 'invalid_scope');
      const { after } = await refreshAndCallTool(layout);
      const sent = layout.auth.tokenRequests('refresh_token').at(-1)?.form?.scope?.[0];
      assert.equal(sent, granted.join(' '));
      assert.deepEqual(after.scopes, granted);
      assert.equal(authorizationRequests(layout.auth).length, 1, 'no second authorization (no step-up)');
    });
  });

  it('a state file from before (granted scope as the server wrote it, "a,b") still refreshes with a space-separated scope', async () => {
    await withLayout(REAL_SERVERS.github.layout, async (layout) => {
      await loginAndCallTool(layout);
      const file = serverStateFile(layout.sandbox, 'demo');
      const state = readJson<{ grant: { tokens: Record<string, unknown> } }>(file);
      const granted = state.grant.tokens.scopes as string[];
      const { scopes: _list, ...tokens } = state.grant.tokens;
      state.grant.tokens = { ...tokens, scope: granted.join(',') };
      writeFileSync(file, JSON.stringify(state, null, '\t'));
      await refreshAndCallTool(layout);
      assert.equal(layout.auth.tokenRequests('refresh_token').at(-1)?.form?.scope?.[0], granted.join(' '));
      assert.deepEqual(readJson<{ grant: { tokens: Record<string, unknown> } }>(file).grant.tokens.scopes, granted, 'written back as a list');
    });
  });

  it('an empty grant ("scope": "") is no reason to ask again; the refresh sends no scope', async () => {
    await withLayout(REAL_SERVERS.githubApp.layout, async (layout) => {
      await loginAndCallTool(layout);
      assert.deepEqual(storedState(layout.sandbox)!.grant!.tokens.scopes, []);
      await refreshAndCallTool(layout);
      assert.equal(layout.auth.tokenRequests('refresh_token').at(-1)?.form?.scope, undefined);
      const status = await runCli(layout.sandbox, ['status']);
      assert.match(status.stdout, /scopes: +\(none granted explicitly\)/);
      assert.equal(authorizationRequests(layout.auth).length, 1, 'no second authorization');
    });
  });
});

describe('3. registrations allowed by client name, secrets with "none" (Figma)', () => {
  it('a 403 "Forbidden" names the client name sent and the options; --client-name logs in, and is remembered', async () => {
    await withLayout(REAL_SERVERS.figma.layout, async (layout) => {
      const before = layout.sandbox.readConfig();
      const refused = await runCli(layout.sandbox, ['login', 'demo'], { env: { BROWSER: layout.browser() } });
      assert.equal(refused.code, 5, refused.stderr);
      assert.match(refused.stderr, /only accepts registrations from approved clients, and the registration was sent as client_name "codex-auth"/);
      assert.match(refused.stderr, /server said: Forbidden/);
      for (const option of ['--client-name', '--client-id', '--client-metadata-url']) assert.ok(refused.stderr.includes(option), option);
      assert.equal(storedState(layout.sandbox)?.grant, undefined);
      assert.equal(layout.sandbox.readConfig(), before);

      await loginAndCallTool(layout, REAL_SERVERS.figma.loginArgs);
      const client = storedState(layout.sandbox)!.grant!.client;
      assert.equal(client.tokenEndpointAuthMethod, 'client_secret_basic', 'the secret issued with "none" is used');
      assert.ok(client.clientSecret);
      await refreshAndCallTool(layout);

      // A later registration (--force registers afresh) sends the remembered name without the option.
      const again = await runCli(layout.sandbox, ['login', 'demo', '--force'], { env: { BROWSER: layout.browser() } });
      assert.equal(again.code, 0, again.stderr);
      const names = (layout.auth.registrations() as Array<{ client_name?: string }>).map((registration) => registration.client_name);
      assert.deepEqual(names, ['codex-auth', 'Claude Code', 'Claude Code']);
      assertNoSecrets([refused.stderr, again.stderr, again.stdout], [client.clientSecret]);
    });
  });
});

describe('4. servers that ask for authorization after initialize (Google), and pages that are not MCP', () => {
  it('an open initialize with resource metadata at the well-known location still logs in', async () => {
    await withLayout(REAL_SERVERS.google.layout, async (layout) => {
      const { login } = await loginAndCallTool(layout);
      assert.doesNotMatch(login.stderr, /needs no authorization/);
      assert.equal(authorizationRequests(layout.auth).length, 1);
      const probe = layout.mcp.requests.find((request) => request.rpcMethod === 'initialize');
      assert.equal(probe?.status, 200, 'the server really answered initialize without a token');
      const calls = layout.mcp.requests.filter((request) => request.rpcMethod === 'tools/call');
      assert.ok(calls.length > 0 && calls.every((call) => call.tokenOk));
    });
  });

  it('an HTML page at the url is a wrong url, named as such, not an open server', async () => {
    await withWebsite(async (site) => {
      const sandbox = createSandbox();
      try {
        sandbox.writeConfig(`[mcp_servers.demo]\nurl = "${site}/"\n`);
        const before = sandbox.readConfig();
        const result = await runCli(sandbox, ['login', 'demo']);
        assert.equal(result.code, 4, result.stderr);
        assert.match(result.stderr, /an HTML page \(text\/html\) \(HTTP 200\), not MCP: this url is not an MCP endpoint/);
        assert.match(result.stderr, /often ending in \/mcp/);
        assert.doesNotMatch(result.stderr, /needs no authorization/);
        assert.equal(sandbox.readConfig(), before);
        const doctor = await runCli(sandbox, ['doctor', 'demo']);
        assert.equal(doctor.code, 4);
        assert.match(doctor.stdout, /not an MCP endpoint/);
      } finally {
        sandbox.cleanup();
      }
    });
  });
});

describe('5. registrations the server no longer knows (AWS sign-in, in-memory servers)', () => {
  it('invalid_client on refresh drops the tokens and the registration; the next login registers afresh', async () => {
    await withLayout({}, async (layout) => {
      await loginAndCallTool(layout);
      await layout.auth.forgetRegisteredClients();
      ageStoredToken(layout.sandbox, -60_000);
      const run = await runCli(layout.sandbox, ['run', '--strict', '--', process.execPath, '-e', '0']);
      assert.equal(run.code, 11, run.stderr);
      assert.match(run.stderr, /invalid_client/);
      assert.equal(layout.auth.tokenRequests('refresh_token').at(-1)?.status, 401);
      assert.equal(storedState(layout.sandbox)?.grant, undefined, 'tokens dropped');
      assert.deepEqual(registrationFiles(layout), [], 'registration dropped');
      await loginAndCallTool(layout);
      assert.equal(layout.auth.registrations().length, 2, 'registered afresh');
    });
  });

  it('a named login with a refresh token refreshes first: no browser when that works, and it says so', async () => {
    await withLayout({}, async (layout) => {
      await loginAndCallTool(layout);
      const visits = authorizationRequests(layout.auth).length;
      const before = storedState(layout.sandbox)!.grant!.tokens.accessToken;
      const again = await runCli(layout.sandbox, ['login', 'demo'], { env: { BROWSER: layout.browser('record-only') } });
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stderr, /demo: the server refreshed the login, no browser needed; .*use --force to log in again through the browser/);
      assert.equal(authorizationRequests(layout.auth).length, visits, 'no browser visit');
      assert.equal(layout.auth.tokenRequests('refresh_token').at(-1)?.status, 200);
      assert.notEqual(storedState(layout.sandbox)!.grant!.tokens.accessToken, before, 'a new token is stored');
      assert.equal(layout.auth.registrations().length, 1, 'the registration is kept');
    });
  });

  it('after the server forgot every client, a named login learns it from the refresh (invalid_client), registers afresh and finishes without a browser wait', async () => {
    await withLayout({}, async (layout) => {
      await loginAndCallTool(layout);
      await layout.auth.forgetRegisteredClients();
      const started = Date.now();
      // A browser sent with the dead client_id would stay on the error page for the whole wait (60 s here).
      const { login } = await loginAndCallTool(layout, [], { CODEX_AUTH_LOGIN_WAIT_MS: '60000' });
      assert.ok(Date.now() - started < 50_000, 'no browser wait');
      assert.match(login.stderr, /demo: the refresh did not work \(the server no longer accepts the registered client \(invalid_client\)\); logging in through the browser/);
      assert.equal(layout.auth.tokenRequests('refresh_token').at(-1)?.status, 401);
      assert.equal(layout.auth.registrations().length, 2, 'registered afresh before the browser opened');
      assert.ok(authorizationRequests(layout.auth).every((visit) => visit.status !== 400), 'the browser never saw the dead client_id');
    });
  });

  it('without a refresh token, a login whose browser never comes back (an error page for a forgotten client) offers --force, which registers afresh', async () => {
    const noRefreshTokens = {
      auth: { scopes: ['openid', 'mcp:read', 'mcp:write'], quirks: { stockRefreshTokenPolicy: true } },
      mcp: { scopesSupported: ['mcp:read', 'mcp:write'] },
    };
    await withLayout(noRefreshTokens, async (layout) => {
      await loginAndCallTool(layout);
      assert.equal(storedState(layout.sandbox)!.grant!.tokens.refreshToken, undefined);
      await layout.auth.forgetRegisteredClients();
      const stuck = await runCli(layout.sandbox, ['login', 'demo'], { env: { BROWSER: layout.browser(), CODEX_AUTH_LOGIN_WAIT_MS: '4000' } });
      assert.equal(stuck.code, 6, stuck.stderr);
      // The browser stays on the error page: the wait ends (4 s), or sooner when the $BROWSER command reports the failure.
      assert.match(stuck.stderr, /error: demo: callback: (no answer from the browser within 4 s|standard input ended without a redirect URL)/);
      assert.match(stuck.stderr, /codex-auth login demo --force to register afresh/);
      const authorize = authorizationRequests(layout.auth).at(-1);
      assert.equal(authorize?.status, 400, 'the authorization endpoint showed an error page and never redirected');
      await loginAndCallTool(layout, ['--force']);
      assert.equal(layout.auth.registrations().length, 2);
    });
  });

  it('invalid_client at the code exchange drops the registration too', async () => {
    const server = await startHostileServer();
    const sandbox = createSandbox();
    sandbox.env.BROWSER = makeCallbackBrowser(sandbox.root);
    try {
      sandbox.writeConfig(`[mcp_servers.demo]\nurl = "${server.mcpUrl}"\n`);
      server.use({ token: ({ res }) => sendJson(res, 401, { error: 'invalid_client', error_description: 'client not found' }) });
      const failed = await runCli(sandbox, ['login', 'demo']);
      assert.equal(failed.code, 7, failed.stderr);
      assert.match(failed.stderr, /invalid_client: client not found/);
      assert.match(failed.stderr, /register afresh/);
      assert.deepEqual(registrationFiles({ sandbox }), []);
      server.use({});
      const again = await runCli(sandbox, ['login', 'demo']);
      assert.equal(again.code, 0, again.stderr);
      assert.equal(server.paths.filter((path) => path === '/register').length, 2, 'registered afresh');
    } finally {
      sandbox.cleanup();
      await server.close();
    }
  });
});

describe('6. HTML where metadata should be (single-page apps)', () => {
  it('an HTML answer at /.well-known/oauth-authorization-server is a miss; OpenID discovery is used', async () => {
    await withLayout(REAL_SERVERS.singlePageApp.layout, async (layout) => {
      const spa = await fetch(`${layout.auth.origin}/.well-known/oauth-authorization-server`);
      assert.equal(spa.status, 200);
      assert.match(spa.headers.get('content-type') ?? '', /text\/html/);
      await loginAndCallTool(layout);
    });
  });

  it('when every candidate answers HTML, the error names those URLs', async () => {
    await withLayout({ auth: { metadataForms: [], quirks: { singlePageApp: true } } }, async (layout) => {
      const result = await runCli(layout.sandbox, ['login', 'demo'], { env: { BROWSER: layout.browser() } });
      assert.equal(result.code, 4, result.stderr);
      assert.ok(result.stderr.includes(`${layout.auth.origin}/.well-known/oauth-authorization-server (HTTP 200, an HTML page (text/html) instead of JSON)`), result.stderr);
      assert.ok(result.stderr.includes(`${layout.auth.origin}/.well-known/openid-configuration (HTTP 200, an HTML page`), result.stderr);
      assert.match(result.stderr, /answered with a web page instead of JSON metadata/);
      assert.deepEqual(layout.auth.registrations(), []);
    });
  });
});

describe('7. refresh tokens under the stock OpenID rule (oidc-provider, better-auth)', () => {
  it('asks for consent with offline_access, so the server issues a refresh token that works', async () => {
    await withLayout(REAL_SERVERS.stockOpenId.layout, async (layout) => {
      await loginAndCallTool(layout);
      const [authorization] = authorizationRequests(layout.auth);
      assert.match(authorization?.query.scope?.[0] ?? '', /offline_access/);
      assert.deepEqual(authorization?.query.prompt, ['consent']);
      assert.ok(storedState(layout.sandbox)!.grant!.tokens.refreshToken, 'a refresh token was issued');
      await refreshAndCallTool(layout);
    });
  });

  it('never asks for offline_access the server does not list; without a refresh token, login and status say a new login is due at expiry', async () => {
    const layout = {
      auth: { scopes: ['openid', 'mcp:read', 'mcp:write'], quirks: { stockRefreshTokenPolicy: true } },
      mcp: { scopesSupported: ['mcp:read', 'mcp:write', 'offline_access'] },
    };
    await withLayout(layout, async (layout) => {
      const { login } = await loginAndCallTool(layout);
      const [authorization] = authorizationRequests(layout.auth);
      assert.equal(authorization?.query.scope?.[0], 'mcp:read mcp:write');
      assert.equal(authorization?.query.prompt, undefined);
      assert.equal(storedState(layout.sandbox)!.grant!.tokens.refreshToken, undefined);
      assert.match(login.stderr, /the server issued no refresh token, so this login ends when the token expires/);
      const status = await runCli(layout.sandbox, ['status']);
      assert.match(status.stdout, /no refresh token: log in again when it expires/);
      const json = JSON.parse((await runCli(layout.sandbox, ['status', '--json'])).stdout) as { servers: Array<{ name: string; refreshable?: boolean }> };
      assert.equal(json.servers.find((server) => server.name === 'demo')?.refreshable, false);
      const young = await runCli(layout.sandbox, ['run', '--', 'true']);
      assert.doesNotMatch(young.stderr, /expires in/, 'no warning while the token has most of its life');
      ageStoredToken(layout.sandbox, 4 * 60_000);
      const late = await runCli(layout.sandbox, ['run', '--', 'true']);
      assert.equal(late.code, 0, late.stderr);
      assert.match(late.stderr, /demo: its token expires in 4 min and the server gave no refresh token; then log in again: codex-auth login demo/);
      ageStoredToken(layout.sandbox, -20_000);
      const expired = await runCli(layout.sandbox, ['run', '--', 'true']);
      assert.match(expired.stderr, /demo: its token has expired and the server gave no refresh token; log in again: codex-auth login demo/);
      assert.doesNotMatch(expired.stderr, /expires in/, 'an expired token is not said to expire in a minute');
    });
  });
});

describe('8. what already worked keeps working', () => {
  it('Entra-style api:// audience and fully qualified scopes: resource sent once, byte-exact; scopes repeated on refresh', async () => {
    await withLayout(REAL_SERVERS.entra.layout, async (layout) => {
      await loginAndCallTool(layout);
      for (const request of authorizationRequests(layout.auth)) assert.deepEqual(request.query.resource, [ENTRA_APP_ID_URI]);
      assert.equal(authorizationRequests(layout.auth)[0]?.query.scope?.[0], `${ENTRA_APP_ID_URI}/mcp.tools offline_access`);
      const { after } = await refreshAndCallTool(layout);
      for (const request of layout.auth.tokenRequests()) assert.deepEqual(request.form?.resource, [ENTRA_APP_ID_URI]);
      const refresh = layout.auth.tokenRequests('refresh_token').at(-1);
      assert.ok(refresh?.form?.scope?.[0]?.split(' ').includes(`${ENTRA_APP_ID_URI}/mcp.tools`), `refresh scope: ${refresh?.form?.scope?.[0]}`);
      assert.equal(jwtClaims(after.accessToken).aud, ENTRA_APP_ID_URI);
    });
  });

  it('503 with Retry-After on refresh: run goes on with the current token, keeps the refresh token, and refreshes next time', async () => {
    await withLayout({}, async (layout) => {
      await loginAndCallTool(layout);
      const before = storedState(layout.sandbox)!.grant!.tokens;
      layout.auth.failTokenRequests(1, 30);
      ageStoredToken(layout.sandbox, -60_000);
      const { run, report } = await callToolsThroughRun(layout.sandbox, layout.mcp.url, { strict: false });
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stderr, /demo: its token has expired and could not be refreshed \(Refreshing the access token at \S+ was refused \(HTTP 503\)\); Codex starts with it, but the server may refuse it: see codex-auth doctor demo, or log in again: codex-auth login demo$/m);
      assert.equal(report.calls.whoami?.text, layout.mcp.marker, 'the current (still valid) token is used');
      assert.equal(layout.auth.tokenRequests('refresh_token').at(-1)?.status, 503);
      assert.equal(storedState(layout.sandbox)!.grant!.tokens.refreshToken, before.refreshToken, 'the refresh token is kept');
      await refreshAndCallTool(layout);
    });
  });

  it('two WWW-Authenticate headers (Basic, then Bearer) on the 401', async () => {
    await withLayout({ mcp: { extraChallenge: 'Basic realm="mcp"' } }, async (layout) => {
      const answer = await fetch(layout.mcp.url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: '{}' });
      assert.match(answer.headers.get('www-authenticate') ?? '', /^Basic realm="mcp", Bearer /);
      await loginAndCallTool(layout);
    });
  });

  it('12 KB access tokens: stored, handed to the command and refreshed', async () => {
    await withLayout({ auth: { quirks: { accessTokenBytes: 12 * 1024 } } }, async (layout) => {
      await loginAndCallTool(layout);
      const { length } = storedState(layout.sandbox)!.grant!.tokens.accessToken;
      assert.ok(length > 12_000 && length < 13_000, `a 12 KB token: ${length}`);
      await refreshAndCallTool(layout);
    });
  });

  for (const getAnswer of ['method-not-allowed', 'landing-page'] as const) {
    it(`a GET of the MCP url answered with ${getAnswer === 'method-not-allowed' ? '405' : 'an HTML landing page'}`, async () => {
      await withLayout({ mcp: { getAnswer } }, async (layout) => {
        const page = await fetch(layout.mcp.url);
        assert.equal(page.status, getAnswer === 'method-not-allowed' ? 405 : 200);
        await loginAndCallTool(layout);
      });
    });
  }
});

describe('9. an authorization server listed with a slash its metadata lacks (Google)', () => {
  it('logs in, records the issuer the metadata names, checks the callback iss against it, refreshes; doctor agrees', async () => {
    await withLayout(REAL_SERVERS.googleIssuer.layout, async (layout) => {
      const prm = (await (await fetch(`${layout.mcp.origin}/.well-known/oauth-protected-resource/mcp`)).json()) as { authorization_servers: string[] };
      assert.deepEqual(prm.authorization_servers, [`${layout.auth.issuer}/`], 'the resource lists the issuer with a slash');
      const metadata = (await (await fetch(`${layout.auth.origin}/.well-known/oauth-authorization-server`)).json()) as { issuer: string; authorization_response_iss_parameter_supported?: boolean };
      assert.equal(metadata.issuer, layout.auth.issuer, 'the metadata names it without');
      assert.equal(metadata.authorization_response_iss_parameter_supported, true, 'and promises iss on the callback, which must then equal it');
      const { login } = await loginAndCallTool(layout);
      assert.doesNotMatch(login.stderr, /names issuer/);
      const grant = storedState(layout.sandbox)!.grant!;
      assert.equal(grant.issuer, layout.auth.issuer, "the issuer recorded is the metadata's own");
      assert.equal(registrationFiles(layout).length, 1);
      await refreshAndCallTool(layout);
      const doctor = await runCli(layout.sandbox, ['doctor', 'demo']);
      assert.equal(doctor.code, 0, doctor.stdout + doctor.stderr);
    });
  });
});

describe('10. registrations answered 200 instead of 201 (Gluu oxAuth)', () => {
  it('a 200 with a client_id is a registration: logs in and refreshes with the client it registered', async () => {
    await withLayout(REAL_SERVERS.gluu.layout, async (layout) => {
      await loginAndCallTool(layout);
      const registration = layout.auth.requests.find((request) => request.method === 'POST' && request.path === '/reg');
      assert.equal(registration?.status, 200, 'the server really answered 200');
      assert.equal(registrationFiles(layout).length, 1, 'the registration is kept');
      await refreshAndCallTool(layout);
      const clientId = storedState(layout.sandbox)!.grant!.client.clientId;
      assert.deepEqual(layout.auth.tokenRequests().map((request) => request.form?.client_id?.[0]), [clientId, clientId], 'the client the 200 registered');
    });
  });
});

const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

async function waitFor(condition: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A token request by hand, to show what the server itself answers. */
async function postToken(issuer: string, form: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${issuer}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** The per-issuer registration files codex-auth keeps. */
function registrationFiles(layout: { sandbox: { stateDir: string } }): string[] {
  const dir = join(layout.sandbox.stateDir, 'clients');
  return existsSync(dir) ? readdirSync(dir) : [];
}

/** A website on loopback: every path, GET or POST, answers 200 with an HTML page. */
async function withWebsite(body: (origin: string) => Promise<void>): Promise<void> {
  const server = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<!doctype html><title>Example Inc.</title><h1>Welcome</h1>'));
  const origin = await listenOnLoopback(server);
  try {
    await body(origin);
  } finally {
    await closeServer(server);
  }
}
