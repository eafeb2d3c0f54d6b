// `login --grant jwt-bearer` (workload identity federation, SEP-1933; RFC 7523 §2.1) against
// oidc-provider with the JWT-bearer grant added (test/peers/auth-server.ts checks the workload
// JWT's signature, iss, aud, exp and the single use of its jti). The JWT comes from a file, a
// command, a variable or a stand-in for the GitHub Actions OIDC endpoint, and is read afresh for
// every token request: a due token is renewed by the header helper in Codex's cleared environment.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import * as jose from 'jose';
import { JWT_BEARER_GRANT, type AuthServerOptions } from '../peers/auth-server.ts';
import { closeServer, listenOnLoopback } from '../peers/net.ts';
import { assertNoSecrets, runCli, serverStateFile } from './harness.ts';
import { ageStoredToken, helperHandsOut, helperLine, runAsCodex, storedState, withLayout } from './fixtures.ts';

const WORKLOAD_ISSUER = 'https://token.actions.example';
const workload = await jose.generateKeyPair('ES256', { extractable: true });
const workloadJwk = { ...(await jose.exportJWK(workload.publicKey)), alg: 'ES256', kid: 'workload' };

/** A workload JWT as an identity provider signs it: for `audience`, living `lifetimeS` seconds. */
function workloadJwt(audience: string, lifetimeS = 300): Promise<string> {
  return new jose.SignJWT({})
    .setProtectedHeader({ alg: 'ES256', kid: 'workload' })
    .setIssuer(WORKLOAD_ISSUER)
    .setSubject('repo:example/app:ref:refs/heads/main')
    .setAudience(audience)
    .setJti(randomUUID())
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + lifetimeS)
    .sign(workload.privateKey);
}

const AUTH: Omit<AuthServerOptions, 'resources'> = {
  jwtBearer: { trustedIssuer: WORKLOAD_ISSUER, keys: [workloadJwk] },
  clients: [{ client_id: 'workload', token_endpoint_auth_method: 'none', redirect_uris: [], grant_types: [JWT_BEARER_GRANT], scope: 'mcp:read mcp:write' }],
};

const LOGIN = ['login', 'demo', '--grant', 'jwt-bearer', '--client-id', 'workload'];

/** A stand-in for the runner's OIDC endpoint: GET <url>&audience=<aud> with the request token answers {"value": JWT}. */
async function startActionsOidc(requestToken: string) {
  const audiences: string[] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.headers.authorization !== `Bearer ${requestToken}` || url.searchParams.get('api-version') !== '2.0') return void res.writeHead(401).end();
    const audience = url.searchParams.get('audience') ?? 'https://github.com/example';
    audiences.push(audience);
    void workloadJwt(audience).then((value) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ count: 1, value })));
  });
  const origin = await listenOnLoopback(server);
  return { requestUrl: `${origin}/_apis/token?api-version=2.0`, audiences, close: () => closeServer(server) };
}

describe('login --grant jwt-bearer', () => {
  it('from a file: the JWT goes as the assertion with resource, and each renewal reads the file afresh', async () => {
    await withLayout({ auth: AUTH }, async (layout) => {
      const file = join(layout.sandbox.root, 'workload.jwt');
      const first = await workloadJwt(layout.auth.issuer);
      writeFileSync(file, `${first}\n`);
      const login = await runCli(layout.sandbox, [...LOGIN, '--assertion-file', file, '--json']);
      assert.equal(login.code, 0, login.stderr);
      assert.equal((JSON.parse(login.stdout) as { servers: { grant?: string }[] }).servers[0]?.grant, 'jwt-bearer');
      const [request] = layout.auth.tokenRequests(JWT_BEARER_GRANT);
      assert.deepEqual(request?.form?.assertion, [first]);
      assert.deepEqual(request?.form?.resource, [layout.mcp.resource]);
      await helperHandsOut(layout);

      const second = await workloadJwt(layout.auth.issuer);
      writeFileSync(file, second);
      ageStoredToken(layout.sandbox, -1000);
      await helperHandsOut(layout);
      const renewal = layout.auth.tokenRequests(JWT_BEARER_GRANT)[1];
      assert.deepEqual(renewal?.form?.assertion, [second], 'the file as it is now');
      assert.equal(renewal?.status, 200);
      const status = await runCli(layout.sandbox, ['status']);
      assert.match(status.stdout, /grant: {4}jwt-bearer, no person needed; client workload \(no client authentication\); JWT from the file .*workload\.jwt, read at every token request/);
      assertNoSecrets([login.stdout, login.stderr, status.stdout, layout.sandbox.readConfig()], [first, second]);
      assert.ok(!readFileSync(serverStateFile(layout.sandbox, 'demo'), 'utf8').includes(first), 'a file\'s JWT is not kept');
    });
  });

  it('from GitHub Actions: asks the runner for a JWT for the issuer, and the helper asks again in its cleared environment', async () => {
    const requestToken = `gha-request-token-${randomUUID()}`;
    const actions = await startActionsOidc(requestToken);
    after(() => actions.close());
    await withLayout({ auth: AUTH }, async (layout) => {
      const env = { ACTIONS_ID_TOKEN_REQUEST_URL: actions.requestUrl, ACTIONS_ID_TOKEN_REQUEST_TOKEN: requestToken };
      const login = await runCli(layout.sandbox, [...LOGIN, '--assertion-github-actions', '--debug'], { env });
      assert.equal(login.code, 0, login.stderr);
      assert.deepEqual(actions.audiences, [layout.auth.issuer], 'audience: the authorization server');
      ageStoredToken(layout.sandbox, -1000);
      await helperHandsOut(layout);
      assert.equal(actions.audiences.length, 2, 'a new JWT for the renewal');
      const assertions = layout.auth.tokenRequests(JWT_BEARER_GRANT).map((request) => request.form?.assertion?.[0] ?? '');
      assert.equal(new Set(assertions).size, 2);
      assertNoSecrets([login.stdout, login.stderr], [requestToken, ...assertions]);
      const holding = readdirSync(layout.sandbox.root, { recursive: true, withFileTypes: true })
        .filter((entry) => entry.isFile())
        .map((entry) => join(entry.parentPath, entry.name))
        .filter((path) => [requestToken, ...assertions].some((secret) => readFileSync(path, 'utf8').includes(secret)));
      assert.deepEqual(holding, [serverStateFile(layout.sandbox, 'demo')], 'the runner\'s request token is kept only in the 0600 state, and no JWT anywhere');
    });
  });

  it('from a command and from a variable', async () => {
    await withLayout({ auth: AUTH }, async (layout) => {
      const file = join(layout.sandbox.root, 'minted.jwt');
      writeFileSync(file, await workloadJwt(layout.auth.issuer));
      const byCommand = await runCli(layout.sandbox, [...LOGIN, '--assertion-command', `cat '${file}'`]);
      assert.equal(byCommand.code, 0, byCommand.stderr);
      const byVariable = await runCli(layout.sandbox, [...LOGIN, '--assertion-env', 'WORKLOAD_JWT'], { env: { WORKLOAD_JWT: await workloadJwt(layout.auth.issuer) } });
      assert.equal(byVariable.code, 0, byVariable.stderr);
      assert.equal(layout.auth.tokenRequests(JWT_BEARER_GRANT).filter((request) => request.status === 200).length, 2);
      await helperHandsOut(layout);
    });
  });
});

describe('an assertion command that hangs', () => {
  it('is stopped, with whatever it started, within the header helper\'s time, so Codex hears why the token could not be renewed', async () => {
    await withLayout({ auth: AUTH }, async (layout) => {
      const file = join(layout.sandbox.root, 'minted.jwt');
      const hang = join(layout.sandbox.root, 'hang');
      writeFileSync(file, await workloadJwt(layout.auth.issuer));
      // A background grandchild keeps stdout open: stopping only the shell would leave the helper waiting for it.
      const login = await runCli(layout.sandbox, [...LOGIN, '--assertion-command', `if [ -e '${hang}' ]; then echo 'waiting for the IdP' >&2; sleep 60 & wait; fi; cat '${file}'`]);
      assert.equal(login.code, 0, login.stderr);
      writeFileSync(hang, '');
      ageStoredToken(layout.sandbox, -1000);
      const started = Date.now();
      const helper = await runAsCodex(layout.sandbox, helperLine(layout.sandbox));
      const tookMs = Date.now() - started;
      assert.equal(helper.code, 12, helper.stderr);
      assert.match(helper.stderr, /did not finish within 3 s \(it said: waiting for the IdP\)/);
      assert.ok(tookMs < 8_000, `the helper answered after ${tookMs} ms, before Codex gives up on it at about 10 s`);
      assert.equal(helper.stdout, '', 'no token: the stored one has expired');
    });
  });
});

describe('login --grant jwt-bearer refuses, with one error line, no retry, no other grant, and keeps the stored login', () => {
  it('an expired JWT, one for another audience, an empty file, a failing command, a missing variable', async () => {
    await withLayout({ auth: AUTH }, async (layout) => {
      const good = join(layout.sandbox.root, 'good.jwt');
      writeFileSync(good, await workloadJwt(layout.auth.issuer));
      assert.equal((await runCli(layout.sandbox, [...LOGIN, '--assertion-file', good])).code, 0);
      const before = readFileSync(serverStateFile(layout.sandbox, 'demo'), 'utf8');
      const requestsBefore = layout.auth.tokenRequests().length;

      const expired = join(layout.sandbox.root, 'expired.jwt');
      writeFileSync(expired, await workloadJwt(layout.auth.issuer, -60));
      const refusedExpired = await runCli(layout.sandbox, [...LOGIN, '--assertion-file', expired]);
      assert.equal(refusedExpired.code, 7, refusedExpired.stderr);
      assert.match(refusedExpired.stderr, /^error: demo: JWT bearer grant: .*\n {2}server said: invalid_grant.*\n {2}next: The server refused the JWT/m);

      const elsewhere = join(layout.sandbox.root, 'elsewhere.jwt');
      writeFileSync(elsewhere, await workloadJwt('https://wrong.example'));
      const refusedAudience = await runCli(layout.sandbox, [...LOGIN, '--assertion-file', elsewhere]);
      assert.equal(refusedAudience.code, 7, refusedAudience.stderr);
      assert.equal(layout.auth.tokenRequests().length, requestsBefore + 2, 'one request each: no retry, no fallback to another grant');

      const empty = join(layout.sandbox.root, 'empty.jwt');
      writeFileSync(empty, '\n');
      const emptyFile = await runCli(layout.sandbox, [...LOGIN, '--assertion-file', empty]);
      assert.equal(emptyFile.code, 12, emptyFile.stderr);
      assert.match(emptyFile.stderr, /^error: demo: reading credentials: the workload JWT from .*empty\.jwt is empty\./m);

      const failing = await runCli(layout.sandbox, [...LOGIN, '--assertion-command', 'echo nope >&2; exit 3']);
      assert.equal(failing.code, 12, failing.stderr);
      assert.match(failing.stderr, /exited with code 3 \(it said: nope\)\./);

      const unset = await runCli(layout.sandbox, [...LOGIN, '--assertion-env', 'NOT_SET_ANYWHERE']);
      assert.equal(unset.code, 2, unset.stderr);
      const twoSources = await runCli(layout.sandbox, [...LOGIN, '--assertion-file', good, '--assertion-command', 'true']);
      assert.equal(twoSources.code, 2, twoSources.stderr);

      for (const result of [refusedExpired, refusedAudience, emptyFile, failing, unset, twoSources]) assert.equal(result.stderr.match(/^error: /gm)?.length, 1, result.stderr);
      assert.equal(readFileSync(serverStateFile(layout.sandbox, 'demo'), 'utf8'), before, 'the stored login is unchanged');
      assert.equal(storedState(layout.sandbox)?.grant?.tokens.accessToken !== undefined, true);
    });
  });
});
