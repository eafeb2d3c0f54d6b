// Hostile and broken servers through the real CLI: each case breaks one answer of
// an otherwise correct loopback server and expects a clear error naming the server
// and the step, the right non-zero exit code, no stack trace and nothing stored.
// Refresh cases log in first, then break the token endpoint and run `run --strict`.
// An unusable expires_in is tolerated on purpose: those cases must succeed, storing no made-up expiry;
// one written as a string of digits is read as seconds.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { stepLabel } from '../../src/ui/output.ts';
import type { Step } from '../../src/errors.ts';
import { assertNoSecrets, capturedOutput, createSandbox, runCli, type Sandbox } from '../e2e/harness.ts';
import { storedState } from '../e2e/fixtures.ts';
import { expireStoredToken } from './helpers.ts';
import { makeCallbackBrowser, sendJson, sendRaw, startHostileServer, type CallbackMode, type Handler, type HostileServer, type Route } from './hostile-server.ts';

interface Case {
  name: string;
  routes: Partial<Record<Route, Handler>>;
  exit: number;
  step: Step;
  /** Extra text the error must contain (what the server said, what was refused). */
  says?: RegExp;
  callback?: CallbackMode;
  /** Log in against the good server first, then break it and refresh through `run --strict`. */
  refresh?: boolean;
}

const TIMEOUT_MS = 700;
const LOGIN_WAIT_MS = 3000;
const ELSEWHERE = 'http://example.invalid';
const BIG = 'x'.repeat(2 * 1024 * 1024);

const never: Handler = () => undefined;
const stall: Handler = ({ res }) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.write('{"partial":');
};
const html = (status: number): Handler => ({ res }) => sendRaw(res, status, 'text/html', '<!doctype html><h1>Oops</h1><p>Something went wrong</p>');
const malformed: Handler = ({ res }) => sendRaw(res, 200, 'application/json', '{"issuer": "http://127.0.0.1", oops');
const asText: Handler = ({ res }, good) => sendRaw(res, 200, 'text/plain', JSON.stringify(good()));
const patched = (change: (good: Record<string, unknown>, origin: string) => Record<string, unknown>, status = 200): Handler =>
  ({ res, origin }, good) => sendJson(res, status, change(good(), origin));
const redirectTo = (where: (origin: string, path: string) => string): Handler => ({ req, res, origin }) => {
  res.writeHead(302, { location: where(origin, req.url ?? '/') }).end();
};
const chunkedHuge: Handler = ({ res }) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(`{"pad":"${BIG}"}`);
};
const withLength: Handler = ({ res }) => sendRaw(res, 200, 'application/json', `{"pad":"${BIG}"}`);
const tokenError = (status: number, error: string, description: string): Handler => ({ res }) => sendJson(res, status, { error, error_description: description });
const busy = (status: number, contentType: string, body: string, retryAfter?: string): Handler => ({ res }) => {
  res.writeHead(status, { 'content-type': contentType, ...(retryAfter === undefined ? {} : { 'retry-after': retryAfter }) }).end(body);
};
const otherHost = (origin: string, path: string) => `${origin.replace('127.0.0.1', '127.0.0.2')}${path}`;

const CASES: Case[] = [
  // discovery: the MCP server and its protected-resource metadata
  { name: 'probe: server never answers', routes: { mcp: never }, exit: 8, step: 'probe', says: /did not answer within 700 ms/ },
  { name: 'probe: 401 challenge, then HTML 500 at the metadata', routes: { 'resource-metadata': html(500) }, exit: 4, step: 'resource-metadata' },
  { name: 'PRM: malformed JSON', routes: { 'resource-metadata': malformed }, exit: 4, step: 'resource-metadata' },
  { name: 'PRM: JSON served as text/plain', routes: { 'resource-metadata': asText }, exit: 4, step: 'resource-metadata', says: /HTTP 200, plain text \(text\/plain\) instead of JSON/ },
  { name: 'PRM: resource names another server', routes: { 'resource-metadata': patched((good) => ({ ...good, resource: 'http://127.0.0.1:1/other' })) }, exit: 4, step: 'resource-metadata' },
  { name: 'PRM: no authorization_servers', routes: { 'resource-metadata': patched(({ authorization_servers: _gone, ...good }) => good) }, exit: 4, step: 'resource-metadata' },
  { name: 'PRM: redirect loop', routes: { 'resource-metadata': redirectTo((origin, path) => `${origin}${path}`) }, exit: 4, step: 'resource-metadata', says: /redirect/ },
  { name: 'PRM: redirect to another host', routes: { 'resource-metadata': redirectTo(otherHost) }, exit: 4, step: 'resource-metadata', says: /another host[^]*next: Tell the server operator to answer at http:\/\/127\.0\.0\.1:\d+\/\.well-known\/oauth-protected-resource\/mcp itself; redirects are never followed during a login/ },
  // Next.js with trailingSlash, Django's APPEND_SLASH: the next step is the operator's, since nobody configures a metadata URL.
  { name: 'PRM: redirect to the same path with a slash', routes: { 'resource-metadata': redirectTo((origin, path) => `${origin}${path}/`) }, exit: 4, step: 'resource-metadata', says: /redirected \(HTTP 302\) to \S+\/mcp\/;[^]*next: Tell the server operator to answer at \S+\/oauth-protected-resource\/mcp itself/ },
  { name: 'token endpoint: redirect to the same path with a slash', routes: { token: redirectTo((origin, path) => `${origin}${path}/`) }, exit: 7, step: 'token-exchange', says: /next: Tell the server operator to answer at \S+\/token itself/ },
  { name: 'probe: the MCP url redirects (Starlette: /mcp to /mcp/)', routes: { mcp: redirectTo((origin, path) => `${origin}${path}/`) }, exit: 4, step: 'probe', says: /next: Use http:\/\/127\.0\.0\.1:\d+\/mcp\/ directly if that is the server's real address/ },
  { name: 'PRM: 2 MiB body with content-length', routes: { 'resource-metadata': withLength }, exit: 4, step: 'resource-metadata', says: /more than \d+ bytes/ },
  { name: 'PRM: 2 MiB body, no content-length', routes: { 'resource-metadata': chunkedHuge }, exit: 4, step: 'resource-metadata', says: /more than \d+ bytes/ },
  { name: 'PRM: silent server', routes: { 'resource-metadata': never }, exit: 8, step: 'resource-metadata', says: /did not answer within 700 ms/ },
  // discovery: the authorization server's metadata
  { name: 'AS metadata: malformed JSON', routes: { 'as-metadata': malformed }, exit: 4, step: 'authorization-server-metadata' },
  { name: 'AS metadata: HTML error page', routes: { 'as-metadata': html(503) }, exit: 4, step: 'authorization-server-metadata' },
  { name: 'AS metadata: JSON served as text/html', routes: { 'as-metadata': ({ res }, good) => sendRaw(res, 200, 'text/html', JSON.stringify(good())) }, exit: 4, step: 'authorization-server-metadata', says: /HTTP 200, an HTML page \(text\/html\) instead of JSON/ },
  { name: 'AS metadata: issuer mismatch', routes: { 'as-metadata': patched((good) => ({ ...good, issuer: 'http://127.0.0.1:1' })) }, exit: 4, step: 'authorization-server-metadata' },
  { name: 'AS metadata: token endpoint on plain http elsewhere', routes: { 'as-metadata': patched((good) => ({ ...good, token_endpoint: `${ELSEWHERE}/token` })) }, exit: 4, step: 'authorization-server-metadata', says: /token_endpoint http:\/\/example\.invalid\/token, which is not https/ },
  { name: 'AS metadata: authorization endpoint on plain http elsewhere', routes: { 'as-metadata': patched((good) => ({ ...good, authorization_endpoint: `${ELSEWHERE}/authorize` })) }, exit: 4, step: 'authorization-server-metadata', says: /authorization_endpoint http:\/\/example\.invalid\/authorize, which is not https/ },
  { name: 'AS metadata: registration endpoint on plain http elsewhere', routes: { 'as-metadata': patched((good) => ({ ...good, registration_endpoint: `${ELSEWHERE}/register` })) }, exit: 4, step: 'authorization-server-metadata', says: /registration_endpoint http:\/\/example\.invalid\/register, which is not https/ },
  { name: 'AS metadata: revocation endpoint on plain http elsewhere', routes: { 'as-metadata': patched((good) => ({ ...good, revocation_endpoint: `${ELSEWHERE}/revoke` })) }, exit: 4, step: 'authorization-server-metadata', says: /revocation_endpoint http:\/\/example\.invalid\/revoke, which is not https/ },
  { name: 'AS metadata: device endpoint on plain http elsewhere', routes: { 'as-metadata': patched((good) => ({ ...good, device_authorization_endpoint: `${ELSEWHERE}/device` })) }, exit: 4, step: 'authorization-server-metadata', says: /device_authorization_endpoint http:\/\/example\.invalid\/device, which is not https/ },
  { name: 'AS metadata: redirect to another host', routes: { 'as-metadata': redirectTo(otherHost) }, exit: 4, step: 'authorization-server-metadata', says: /another host/ },
  { name: 'AS metadata: headers, then the body stalls', routes: { 'as-metadata': stall }, exit: 8, step: 'authorization-server-metadata', says: /did not answer within 700 ms/ },
  // registration
  { name: 'registration: 400 with error_description', routes: { register: tokenError(400, 'invalid_client_metadata', 'scope is required here') }, exit: 5, step: 'registration', says: /scope is required here/ },
  { name: 'registration: HTML 500', routes: { register: html(500) }, exit: 5, step: 'registration', says: /HTTP 500, an HTML page \(text\/html\) instead of JSON/ },
  { name: 'registration: JSON served as text/plain', routes: { register: ({ res }, good) => sendRaw(res, 201, 'text/plain', JSON.stringify(good())) }, exit: 5, step: 'registration', says: /HTTP 201, plain text/ },
  { name: 'registration: answer without client_id', routes: { register: patched(({ client_id: _gone, ...good }) => good, 201) }, exit: 5, step: 'registration' },
  // the authorization response
  // A response of another login is refused with 400 and the login waits on, up to CODEX_AUTH_LOGIN_WAIT_MS.
  { name: 'callback: wrong state', routes: {}, callback: 'wrong-state', exit: 6, step: 'callback', says: /ignored a request to the callback address: it does not carry this login's state[^]*no answer from the browser/ },
  { name: 'callback: no code', routes: {}, callback: 'no-code', exit: 6, step: 'callback', says: /no code/ },
  { name: 'callback: error=access_denied', routes: {}, callback: 'error', exit: 6, step: 'callback', says: /access_denied|the user said no/ },
  { name: 'callback: iss mismatch', routes: {}, callback: 'wrong-iss', exit: 6, step: 'callback', says: /ignored a request to the callback address: it names another issuer[^]*no answer from the browser/ },
  // the token exchange
  { name: 'token: no access_token', routes: { token: patched(({ access_token: _gone, ...good }) => good) }, exit: 7, step: 'token-exchange' },
  { name: 'token: no token_type', routes: { token: patched(({ token_type: _gone, ...good }) => good) }, exit: 7, step: 'token-exchange', says: /returned an access token without a token_type[^]*next: Tell the server operator: a token answer must say token_type "Bearer" \(RFC 6749 §5\.1\)/ },
  { name: 'token: token_type "mac"', routes: { token: patched((good) => ({ ...good, token_type: 'mac' })) }, exit: 7, step: 'token-exchange' },
  { name: 'token: 500 HTML', routes: { token: html(500) }, exit: 7, step: 'token-exchange', says: /HTTP 500, an HTML page \(text\/html\) instead of JSON/ },
  { name: 'token: 503 JSON without an OAuth error', routes: { token: patched(() => ({ message: 'overloaded' }), 503) }, exit: 7, step: 'token-exchange', says: /HTTP 503, without an OAuth error/ },
  { name: 'token: JSON served as text/plain', routes: { token: asText }, exit: 7, step: 'token-exchange', says: /HTTP 200, plain text/ },
  { name: 'token: 400 invalid_grant', routes: { token: tokenError(400, 'invalid_grant', 'code already used') }, exit: 7, step: 'token-exchange', says: /invalid_grant/ },
  { name: 'token: malformed JSON', routes: { token: malformed }, exit: 7, step: 'token-exchange' },
  { name: 'token: silent', routes: { token: never }, exit: 8, step: 'token-exchange', says: /did not answer within 700 ms/ },
  // refresh, through `run --strict`
  { name: 'refresh: 400 invalid_grant', routes: { token: tokenError(400, 'invalid_grant', 'refresh token revoked') }, refresh: true, exit: 11, step: 'refresh', says: /invalid_grant/ },
  { name: 'refresh: 503 HTML', routes: { token: html(503) }, refresh: true, exit: 7, step: 'refresh', says: /HTTP 503, an HTML page \(text\/html\) instead of JSON/ },
  // A busy token endpoint: the next step is to wait as Retry-After says (never "log in again", never "check the address").
  { name: 'refresh: 429 Too Many Requests in plain text, Retry-After 30', routes: { token: busy(429, 'text/plain', 'Too Many Requests', '30') }, refresh: true, exit: 7, step: 'refresh', says: /HTTP 429[^]*next: The server is limiting requests \(HTTP 429\); try again in 30 s, as it asks \(Retry-After\)\. Nothing was lost: the login is kept\./ },
  { name: 'refresh: 429 with a JSON error, Retry-After 120', routes: { token: busy(429, 'application/json', '{"error":"rate_limited"}', '120') }, refresh: true, exit: 7, step: 'refresh', says: /server said: rate_limited[^]*try again in 2 min, as it asks \(Retry-After\)\. Nothing was lost/ },
  { name: 'refresh: 429 without Retry-After', routes: { token: busy(429, 'application/json', '{"message":"slow down"}') }, refresh: true, exit: 7, step: 'refresh', says: /HTTP 429, without an OAuth error[^]*try again in a minute or so\. Nothing was lost/ },
  { name: 'refresh: 503 temporarily_unavailable, Retry-After 30', routes: { token: busy(503, 'application/json', '{"error":"temporarily_unavailable"}', '30') }, refresh: true, exit: 7, step: 'refresh', says: /server said: temporarily_unavailable[^]*is unavailable \(HTTP 503\); try again in 30 s, as it asks \(Retry-After\)\. Nothing was lost/ },
  { name: 'refresh: no access_token', routes: { token: patched(({ access_token: _gone, ...good }) => good) }, refresh: true, exit: 7, step: 'refresh' },
  { name: 'refresh: no token_type', routes: { token: patched(({ token_type: _gone, ...good }) => good) }, refresh: true, exit: 7, step: 'refresh', says: /returned an access token without a token_type/ },
  { name: 'refresh: token_type "mac"', routes: { token: patched((good) => ({ ...good, token_type: 'mac' })) }, refresh: true, exit: 7, step: 'refresh' },
];

/**
 * Broken answers tolerated on purpose: an expires_in that is not a usable number of seconds is
 * ignored (src/oauth/tokens.ts says why), so the login or refresh succeeds with an unknown expiry
 * (the hostile server's tokens are opaque) and a rotated refresh token is kept.
 */
const UNUSABLE_EXPIRES_IN: Array<{ name: string; value: unknown; refresh?: boolean }> = [
  { name: 'token: expires_in negative', value: -5 },
  { name: 'token: expires_in a string that is no number', value: '1h' },
  { name: 'token: expires_in huge (1e300)', value: 1e300 },
  { name: 'refresh: expires_in a string that is no number', value: '1h', refresh: true },
];

/** expires_in as a string of digits (Entra v1, SAP): read as that many seconds, so the expiry is known. */
const STRING_EXPIRES_IN: Array<{ name: string; value: string; refresh?: boolean }> = [
  { name: 'token: expires_in "3600"', value: '3600' },
  { name: 'refresh: expires_in "3599"', value: '3599', refresh: true },
];

/** The hostile cases the suite runs, for docs/reliability.md. */
export const HOSTILE_CASES = CASES.length + UNUSABLE_EXPIRES_IN.length + STRING_EXPIRES_IN.length;

function configFor(server: HostileServer): string {
  return `# hostile\n[mcp_servers.demo]\nurl = "${server.mcpUrl}"\n`;
}

describe('hostile and broken servers through the real CLI', () => {
  let server: HostileServer;
  let browser: string;
  let browserSandbox: Sandbox;
  const table: string[] = [];

  before(async () => {
    server = await startHostileServer();
    browserSandbox = createSandbox();
    browser = makeCallbackBrowser(browserSandbox.root);
  });

  after(async () => {
    console.log(['# hostile cases (case | exit | first error line):', ...table.map((row) => `#   ${row}`)].join('\n'));
    await server.close();
    browserSandbox.cleanup();
    assertNoSecrets(capturedOutput, [...server.secrets]);
  });

  /**
   * Writes the config, then either logs in against the broken server or (refresh) logs in against
   * the good one, expires the token, breaks the server and refreshes through `run --strict`.
   */
  async function breakAndRun(sandbox: Sandbox, routes: Partial<Record<Route, Handler>>, refresh = false) {
    sandbox.writeConfig(configFor(server));
    if (!refresh) {
      server.use(routes);
      return { result: await runCli(sandbox, ['login', 'demo', '--debug']), before: undefined };
    }
    server.use({});
    assert.equal((await runCli(sandbox, ['login', 'demo'])).code, 0);
    expireStoredToken(sandbox);
    const before = storedState(sandbox);
    server.use(routes);
    return { result: await runCli(sandbox, ['run', '--strict', '--debug', '--', process.execPath, '-e', '0']), before };
  }

  it('the baseline server is correct: login and refresh succeed against it', async () => {
    const sandbox = createSandbox();
    try {
      server.use({});
      sandbox.writeConfig(configFor(server));
      const login = await runCli(sandbox, ['login', 'demo', '--debug'], { env: { BROWSER: browser } });
      assert.equal(login.code, 0, login.stderr);
      const first = storedState(sandbox)!.grant!.tokens;
      expireStoredToken(sandbox);
      const run = await runCli(sandbox, ['run', '--strict', '--debug', '--', process.execPath, '-e', '0']);
      assert.equal(run.code, 0, run.stderr);
      assert.notEqual(storedState(sandbox)!.grant!.tokens.refreshToken, first.refreshToken);
    } finally {
      sandbox.cleanup();
    }
  });

  for (const hostile of CASES) {
    it(hostile.name, async () => {
      const sandbox = createSandbox({ BROWSER: browser, CALLBACK_MODE: hostile.callback ?? 'ok', CODEX_AUTH_HTTP_TIMEOUT_MS: String(TIMEOUT_MS), CODEX_AUTH_LOGIN_WAIT_MS: String(LOGIN_WAIT_MS) });
      try {
        const { result, before } = await breakAndRun(sandbox, hostile.routes, hostile.refresh);
        if (!hostile.refresh) assert.equal(sandbox.readConfig(), configFor(server), 'config untouched');
        const errorLine = result.stderr.split('\n').find((line) => line.startsWith('error:')) ?? '(no error line)';
        table.push(`${hostile.name} | ${result.code} | ${result.code === 0 ? 'accepted, login succeeded' : errorLine}`);
        assert.equal(result.code, hostile.exit, result.stderr);
        assert.ok(errorLine.startsWith(`error: demo: ${stepLabel(hostile.step)}: `), `names the server and the step: ${errorLine}`);
        if (hostile.says) assert.match(result.stderr, hostile.says);
        assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
        assert.doesNotMatch(result.stderr, /example\.invalid\S* -> /, 'a refused endpoint was never contacted');
        const after = storedState(sandbox);
        if (!hostile.refresh) assert.equal(after?.grant, undefined, 'no grant stored');
        else if (hostile.exit === 11) assert.equal(after?.grant, undefined, 'the rejected grant was dropped');
        else assert.deepEqual(after?.grant, before?.grant, 'a failed refresh keeps the old grant (and refresh token) untouched');
      } finally {
        server.use({});
        sandbox.cleanup();
      }
    });
  }

  for (const tolerated of UNUSABLE_EXPIRES_IN) {
    it(`${tolerated.name}: ignored, the expiry is unknown`, async () => {
      const sandbox = createSandbox({ BROWSER: browser, CALLBACK_MODE: 'ok', CODEX_AUTH_HTTP_TIMEOUT_MS: String(TIMEOUT_MS) });
      try {
        const { result, before } = await breakAndRun(sandbox, { token: patched((good) => ({ ...good, expires_in: tolerated.value })) }, tolerated.refresh);
        table.push(`${tolerated.name} | ${result.code} | ${result.code === 0 ? 'ignored, succeeded with an unknown expiry' : result.stderr.split('\n').find((line) => line.startsWith('error:'))}`);
        assert.equal(result.code, 0, result.stderr);
        assert.match(result.stderr, /ignored an unusable expires_in/, 'the --debug trail says so');
        assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
        const tokens = storedState(sandbox)?.grant?.tokens;
        assert.ok(tokens, 'a grant is stored');
        assert.equal(tokens.expiresAt, undefined, 'no made-up expiry is stored');
        if (tolerated.refresh) assert.notEqual(tokens.refreshToken, before?.grant?.tokens.refreshToken, 'the rotated refresh token was kept');
        else assert.match(sandbox.readConfig(), /\nhttp_headers_helper = .* headers demo /);
      } finally {
        server.use({});
        sandbox.cleanup();
      }
    });
  }

  for (const tolerated of STRING_EXPIRES_IN) {
    it(`${tolerated.name}: read as seconds, the expiry is known`, async () => {
      const sandbox = createSandbox({ BROWSER: browser, CALLBACK_MODE: 'ok', CODEX_AUTH_HTTP_TIMEOUT_MS: String(TIMEOUT_MS) });
      try {
        const started = Date.now();
        const { result, before } = await breakAndRun(sandbox, { token: patched((good) => ({ ...good, expires_in: tolerated.value })) }, tolerated.refresh);
        table.push(`${tolerated.name} | ${result.code} | ${result.code === 0 ? 'read as seconds, succeeded with a known expiry' : result.stderr.split('\n').find((line) => line.startsWith('error:'))}`);
        assert.equal(result.code, 0, result.stderr);
        assert.doesNotMatch(result.stderr, /ignored an unusable expires_in/);
        const tokens = storedState(sandbox)?.grant?.tokens;
        assert.ok(tokens?.expiresAt, `an expiry is stored: ${JSON.stringify(tokens?.expiresAt)}`);
        const lifetime = Number(tolerated.value) * 1000;
        assert.ok(tokens.expiresAt >= started + lifetime && tokens.expiresAt <= Date.now() + lifetime, 'now + expires_in seconds');
        if (tolerated.refresh) assert.notEqual(tokens.refreshToken, before?.grant?.tokens.refreshToken, 'the rotated refresh token was kept');
      } finally {
        server.use({});
        sandbox.cleanup();
      }
    });
  }
});
