// `login --grant enterprise` (enterprise-managed authorization, SEP-990): a stand-in for the
// company's IdP checks the token exchange (RFC 8693: its client, the ID token's signature and
// audience, the requested ID-JAG, audience and resource) and signs an ID-JAG; oidc-provider with the
// JWT-bearer grant trusts that IdP and checks the ID-JAG (signature, iss, aud, exp, single use).
// Renewal by the header helper repeats both legs with the ID token read afresh.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import * as jose from 'jose';
import { JWT_BEARER_GRANT } from '../peers/auth-server.ts';
import { closeServer, listenOnLoopback, readBody } from '../peers/net.ts';
import { assertNoSecrets, runCli, serverStateFile } from './harness.ts';
import { ageStoredToken, helperLine, runAsCodex, withLayout } from './fixtures.ts';

const IDP_CLIENT = 'codex-at-idp';
const IDP_SECRET = 'idp-client-secret-never-shown';
const AS_SECRET = 'as-client-secret-never-shown';
const idpKey = await jose.generateKeyPair('ES256', { extractable: true });
const idpJwk = { ...(await jose.exportJWK(idpKey.publicKey)), alg: 'ES256' };

/** The IdP: answers a valid token exchange with an ID-JAG, anything else with the RFC 8693 error. */
async function startIdp() {
  const exchanges: URLSearchParams[] = [];
  let issuer = '';
  const server = http.createServer((req, res) => {
    void (async () => {
      const form = new URLSearchParams((await readBody(req)).toString());
      exchanges.push(form);
      const refuse = (error: string, status = 400) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ error }));
      if (req.headers.authorization !== `Basic ${Buffer.from(`${IDP_CLIENT}:${IDP_SECRET}`).toString('base64')}`) return refuse('invalid_client', 401);
      const wanted = { grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange', requested_token_type: 'urn:ietf:params:oauth:token-type:id-jag', subject_token_type: 'urn:ietf:params:oauth:token-type:id_token' };
      if (Object.entries(wanted).some(([key, value]) => form.get(key) !== value) || !form.get('audience') || !form.get('resource')) return refuse('invalid_request');
      let sub: string;
      try {
        ({ payload: { sub = '' } } = await jose.jwtVerify(form.get('subject_token') ?? '', idpKey.publicKey, { issuer, audience: IDP_CLIENT }));
      } catch {
        return refuse('invalid_grant');
      }
      const idJag = await new jose.SignJWT({ resource: form.get('resource'), client_id: 'codex-wiki' })
        .setProtectedHeader({ alg: 'ES256', typ: 'oauth-id-jag+jwt' })
        .setIssuer(issuer)
        .setSubject(sub)
        .setAudience(form.get('audience')!)
        .setJti(randomUUID())
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(idpKey.privateKey);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ access_token: idJag, issued_token_type: 'urn:ietf:params:oauth:token-type:id-jag', token_type: 'N_A', expires_in: 300 }));
    })();
  });
  issuer = await listenOnLoopback(server);
  const idToken = (lifetime = '1h') => new jose.SignJWT({ email: 'pat@example.com' }).setProtectedHeader({ alg: 'ES256' }).setIssuer(issuer).setSubject('pat').setAudience(IDP_CLIENT).setIssuedAt().setExpirationTime(lifetime).sign(idpKey.privateKey);
  return { issuer, tokenEndpoint: `${issuer}/token`, exchanges, idToken, close: () => closeServer(server) };
}

describe('login --grant enterprise', () => {
  it('exchanges the ID token at the IdP, presents the ID-JAG with the JWT-bearer grant, and the helper renews both ways; a refused exchange keeps the login', async () => {
    const idp = await startIdp();
    after(() => idp.close());
    const auth = {
      jwtBearer: { trustedIssuer: idp.issuer, keys: [idpJwk] },
      clients: [{ client_id: 'codex-wiki', client_secret: AS_SECRET, token_endpoint_auth_method: 'client_secret_basic', redirect_uris: [], grant_types: [JWT_BEARER_GRANT], scope: 'mcp:read mcp:write' }],
    };
    await withLayout({ auth }, async (layout) => {
      const idTokenFile = join(layout.sandbox.root, 'id-token');
      writeFileSync(idTokenFile, await idp.idToken());
      const args = ['login', 'demo', '--grant', 'enterprise', '--idp-token-endpoint', idp.tokenEndpoint, '--idp-client-id', IDP_CLIENT, '--idp-client-secret-env', 'IDP_SECRET', '--id-token-file', idTokenFile, '--client-id', 'codex-wiki', '--client-secret-env', 'AS_SECRET'];
      const env = { IDP_SECRET, AS_SECRET };
      const login = await runCli(layout.sandbox, [...args, '--debug'], { env });
      assert.equal(login.code, 0, login.stderr);
      const [exchange] = idp.exchanges;
      assert.equal(exchange?.get('audience'), layout.auth.issuer, 'the ID-JAG is asked for the MCP server\'s authorization server');
      assert.equal(exchange?.get('resource'), layout.mcp.resource);
      const [grant] = layout.auth.tokenRequests(JWT_BEARER_GRANT);
      assert.equal(grant?.status, 200, 'oidc-provider took the ID-JAG');

      writeFileSync(idTokenFile, await idp.idToken());
      ageStoredToken(layout.sandbox, -1000);
      const helper = await runAsCodex(layout.sandbox, helperLine(layout.sandbox));
      assert.equal(helper.code, 0, helper.stderr);
      assert.equal(idp.exchanges.length, 2, 'the renewal exchanged the ID token again');
      assert.deepEqual(layout.auth.tokenRequests(JWT_BEARER_GRANT).map((request) => request.status), [200, 200]);

      const before = readFileSync(serverStateFile(layout.sandbox, 'demo'), 'utf8');
      writeFileSync(idTokenFile, await idp.idToken('-1m'));
      const refused = await runCli(layout.sandbox, args, { env });
      assert.equal(refused.code, 7, refused.stderr);
      assert.match(refused.stderr, /^error: demo: token exchange at the IdP: .*\n {2}server said: invalid_grant\n {2}next: The IdP refused the ID token/m);
      assert.equal(refused.stderr.match(/^error: /gm)?.length, 1);
      assert.equal(layout.auth.tokenRequests(JWT_BEARER_GRANT).length, 2, 'nothing sent to the authorization server after the refusal');
      assert.equal(readFileSync(serverStateFile(layout.sandbox, 'demo'), 'utf8'), before, 'the stored login is unchanged');

      const status = await runCli(layout.sandbox, ['status']);
      assert.match(status.stdout, /grant: {4}enterprise, no person needed; client codex-wiki, secret \(client_secret_basic\) .*; ID token from the file .*id-token, read at every token request, exchanged at the IdP .* as client codex-at-idp/);
      const idJags = layout.auth.tokenRequests(JWT_BEARER_GRANT).map((request) => request.form?.assertion?.[0] ?? '');
      assertNoSecrets([login.stdout, login.stderr, helper.stderr, refused.stderr, status.stdout], [IDP_SECRET, AS_SECRET, ...idJags, readFileSync(idTokenFile, 'utf8')]);
    });
  });
});
