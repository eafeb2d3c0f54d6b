// Logins with no person, with the real Codex CLI (0.171): renewal by the header helper that
// Codex runs itself (`run --no-proxy`), and by `run -- codex exec` through the session proxy.
// Neither has a refresh token: a due token is asked for again with the login's grant.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import * as jose from 'jose';
import type { ModelAction, ModelTurnContext } from '../peers/model-server.ts';
import { JWT_BEARER_GRANT } from '../peers/auth-server.ts';
import { runCli } from './harness.ts';
import { ageStoredToken, secretClient } from './fixtures.ts';
import { answer, callThenAnswer, callWhoami, runCodex, toolCalls, withCodexLayout } from './codex-fixtures.ts';

const SECRET = 'codex-ci-client-secret';

describe('codex 0.171 with logins with no person', () => {
  it('client credentials, helper: the token expires during the session; Codex asks the helper again, which asks the server again the same way', async () => {
    const steps: Array<(ctx: ModelTurnContext) => ModelAction> = [callWhoami, () => ({ type: 'wait', ms: 7_000, then: callWhoami() }), answer];
    await withCodexLayout({ auth: { clientCredentials: true, clients: [secretClient('client_secret_basic', SECRET)], accessTokenTtlSeconds: 6 } }, steps, async (layout) => {
      const login = await runCli(layout.sandbox, ['login', 'demo', '--grant', 'client_credentials', '--client-id', 'ci', '--client-secret-env', 'CI_SECRET'], { env: { CI_SECRET: SECRET } });
      assert.equal(login.code, 0, login.stderr);
      const result = await runCodex(layout, 'latest', ['--no-proxy']);
      assert.equal(result.code, 0, result.stderr);
      assert.deepEqual(toolCalls(layout).map((call) => [call.tokenOk, call.status]).filter(([ok]) => ok), [[true, 200], [true, 200]], 'both tool calls ran with an accepted token');
      assert.equal(layout.auth.tokenRequests('client_credentials').length, 2, 'the login, then one renewal');
    });
  });

  it('jwt-bearer, run -- codex exec through the proxy: an expired token is renewed with a fresh JWT from the file', async () => {
    const workload = await jose.generateKeyPair('ES256');
    const jwk = { ...(await jose.exportJWK(workload.publicKey)), alg: 'ES256' };
    const auth = {
      jwtBearer: { trustedIssuer: 'https://ci.example', keys: [jwk] },
      clients: [{ client_id: 'workload', token_endpoint_auth_method: 'none', redirect_uris: [], grant_types: [JWT_BEARER_GRANT], scope: 'mcp:read mcp:write' }],
    };
    await withCodexLayout({ auth }, [callThenAnswer], async (layout) => {
      const mint = () => new jose.SignJWT({}).setProtectedHeader({ alg: 'ES256' }).setIssuer('https://ci.example').setSubject('ci').setAudience(layout.auth.issuer).setJti(randomUUID()).setIssuedAt().setExpirationTime('5m').sign(workload.privateKey);
      const file = join(layout.sandbox.root, 'workload.jwt');
      writeFileSync(file, await mint());
      const login = await runCli(layout.sandbox, ['login', 'demo', '--grant', 'jwt-bearer', '--client-id', 'workload', '--assertion-file', file]);
      assert.equal(login.code, 0, login.stderr);
      writeFileSync(file, await mint());
      ageStoredToken(layout.sandbox, -1000);
      const result = await runCodex(layout, 'latest');
      assert.equal(result.code, 0, result.stderr);
      assert.ok(result.stdout.includes(layout.mcp.marker), 'Codex printed the tool answer');
      assert.deepEqual(toolCalls(layout).map((call) => [call.tokenOk, call.status]), [[true, 200]]);
      assert.deepEqual(layout.auth.tokenRequests(JWT_BEARER_GRANT).map((request) => request.status), [200, 200], 'the login, then one renewal with the new JWT');
    });
  });
});
