// `login --grant client_credentials` (SEP-1046) against oidc-provider with the grant enabled: a
// client secret (basic or post, as the metadata says) or a private key (private_key_jwt, which
// oidc-provider verifies: signature, aud, exp, single use of the jti). No browser anywhere; a due
// token is renewed by asking again the same way, here by the header helper in Codex's cleared
// environment. Every refusal is one error line and leaves the stored login as it was.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import * as jose from 'jose';
import type { AuthServerOptions, PreRegisteredClient } from '../peers/auth-server.ts';
import { assertNoSecrets, runCli, serverStateFile } from './harness.ts';
import { ageStoredToken, helperHandsOut, keyClient, type Layout, secretClient, storedState, withLayout } from './fixtures.ts';

const SECRET = 'ci-client-secret-that-must-never-show';

function authWith(clients: PreRegisteredClient[], extra: Partial<AuthServerOptions> = {}): Omit<AuthServerOptions, 'resources'> {
  return { clientCredentials: true, clients, ...extra };
}

const loginWithSecret = (layout: Layout, extra: string[] = []) =>
  runCli(layout.sandbox, ['login', 'demo', '--grant', 'client_credentials', '--client-id', 'ci', '--client-secret-env', 'CI_SECRET', ...extra], { env: { CI_SECRET: SECRET } });

describe('login --grant client_credentials', () => {
  it('with a secret sent by HTTP Basic: no browser, resource and scope on the request, renewed by the helper in a cleared environment', async () => {
    await withLayout({ auth: authWith([secretClient('client_secret_basic', SECRET)]) }, async (layout) => {
      const login = await loginWithSecret(layout, ['--json']);
      assert.equal(login.code, 0, login.stderr);
      const report = JSON.parse(login.stdout) as { ok: boolean; servers: { status: string; grant?: string }[] };
      assert.equal(report.ok, true);
      assert.equal(report.servers[0]?.status, 'logged-in');
      assert.equal(report.servers[0]?.grant, 'client_credentials');
      const [request] = layout.auth.tokenRequests('client_credentials');
      assert.ok(request, 'one client_credentials request');
      assert.deepEqual(request.form?.resource, [layout.mcp.resource]);
      assert.equal(request.form?.client_secret, undefined, 'the secret goes in the Basic header, as the metadata says');
      assert.equal(layout.auth.requests.filter((r) => r.query.response_type !== undefined).length, 0, 'no authorization request');
      const stored = storedState(layout.sandbox)!;
      assert.equal(stored.grant?.tokens.refreshToken, undefined);
      const first = await helperHandsOut(layout);
      assert.equal(first, stored.grant?.tokens.accessToken, 'a fresh token goes out as it is');

      ageStoredToken(layout.sandbox, -1000);
      const renewed = await helperHandsOut(layout);
      assert.notEqual(renewed, first);
      assert.equal(layout.auth.tokenRequests('client_credentials').length, 2, 'the helper asked again the same way, once');
      assert.equal(layout.auth.tokenRequests('refresh_token').length, 0);
      const status = await runCli(layout.sandbox, ['status', '--json']);
      const server = (JSON.parse(status.stdout) as { servers: { name: string; grant?: string; credentials?: string; refreshable?: boolean }[] }).servers.find((entry) => entry.name === 'demo');
      assert.equal(server?.grant, 'client_credentials');
      assert.match(server?.credentials ?? '', /client ci, secret \(client_secret_basic\) copied at login into codex-auth's state/);
      const text = await runCli(layout.sandbox, ['status']);
      assert.match(text.stdout, /grant: {4}client_credentials, no person needed/);
      const doctor = await runCli(layout.sandbox, ['doctor', 'demo', '--json']);
      assert.equal(doctor.code, 0, doctor.stderr);
      const plan = (JSON.parse(doctor.stdout) as { steps: { step: string; ok: boolean; detail: Record<string, unknown> }[] }).steps.find((step) => step.step === 'plan');
      assert.deepEqual([plan?.ok, plan?.detail.grant], [true, 'client_credentials']);
      assertNoSecrets([login.stdout, login.stderr, layout.sandbox.readConfig(), status.stdout, text.stdout, doctor.stdout], [SECRET]);
      assert.equal(readFileSync(serverStateFile(layout.sandbox, 'demo')).includes(SECRET), true, 'the secret is kept only in the 0600 state, for the helper');
    });
  });

  it('with a secret sent in the form when the server lists only client_secret_post', async () => {
    await withLayout({ auth: authWith([secretClient('client_secret_post', SECRET)], { advertised: { authMethods: ['client_secret_post', 'private_key_jwt'] } }) }, async (layout) => {
      const login = await loginWithSecret(layout);
      assert.equal(login.code, 0, login.stderr);
      const [request] = layout.auth.tokenRequests('client_credentials');
      assert.deepEqual(request?.form?.client_id, ['ci']);
      assert.ok(request?.form?.client_secret, 'the secret in the form');
      await helperHandsOut(layout);
    });
  });

  it('with a private key (private_key_jwt, ES256): the server verifies the assertion, and a renewal signs a new one', async () => {
    const keyDir = mkdtempSync(join(tmpdir(), 'codex-auth-key-'));
    const { client, keyFile } = await keyClient(keyDir);
    after(() => rmSync(keyDir, { recursive: true, force: true }));
    await withLayout({ auth: authWith([client], { advertised: { authMethods: ['private_key_jwt'] } }) }, async (layout) => {
      const login = await runCli(layout.sandbox, ['login', 'demo', '--grant', 'client_credentials', '--client-id', 'ci-key', '--private-key', keyFile]);
      assert.equal(login.code, 0, login.stderr);
      const [request] = layout.auth.tokenRequests('client_credentials');
      assert.deepEqual(request?.form?.client_assertion_type, ['urn:ietf:params:oauth:client-assertion-type:jwt-bearer']);
      const assertion = request?.form?.client_assertion?.[0] ?? '';
      assert.equal(jose.decodeProtectedHeader(assertion).alg, 'ES256');
      const state = readFileSync(serverStateFile(layout.sandbox, 'demo'), 'utf8');
      assert.ok(!state.includes('PRIVATE KEY'), 'the key stays in its file');
      ageStoredToken(layout.sandbox, -1000);
      await helperHandsOut(layout);
      const renewal = layout.auth.tokenRequests('client_credentials')[1];
      assert.ok(renewal && renewal.status === 200, 'oidc-provider took a new assertion (a reused jti would be refused)');
      assert.notEqual(renewal.form?.client_assertion?.[0], assertion);
      assertNoSecrets([login.stdout, login.stderr], [assertion]);
    });
  });
});

describe('login --grant client_credentials refuses, with one error line, and keeps every stored login', () => {
  it('a server that does not list the grant, a refused secret, a key file that is not a key, flags that do not fit', async () => {
    await withLayout({ auth: authWith([secretClient('client_secret_basic', SECRET)]) }, async (layout) => {
      assert.equal((await loginWithSecret(layout)).code, 0);
      const before = readFileSync(serverStateFile(layout.sandbox, 'demo'), 'utf8');
      const config = layout.sandbox.readConfig();

      const wrongSecret = await runCli(layout.sandbox, ['login', 'demo', '--grant', 'client_credentials', '--client-id', 'ci', '--client-secret-env', 'CI_SECRET'], { env: { CI_SECRET: 'not-the-secret' } });
      assert.equal(wrongSecret.code, 7, wrongSecret.stderr);
      assert.match(wrongSecret.stderr, /^error: demo: client credentials grant: .* was refused \(HTTP 401\)\.\n {2}server said: invalid_client/m);
      assert.match(wrongSecret.stderr, /next: .*client ci/);

      const notAKey = join(layout.sandbox.root, 'cert.pem');
      writeFileSync(notAKey, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
      const badKey = await runCli(layout.sandbox, ['login', 'demo', '--grant', 'client_credentials', '--client-id', 'ci', '--private-key', notAKey]);
      assert.equal(badKey.code, 12, badKey.stderr);
      assert.match(badKey.stderr, /^error: demo: reading credentials: The private key .*cert\.pem is not a PEM private key/m);

      const missingKey = await runCli(layout.sandbox, ['login', 'demo', '--grant', 'client_credentials', '--client-id', 'ci', '--private-key', join(layout.sandbox.root, 'nope.pem')]);
      assert.equal(missingKey.code, 12, missingKey.stderr);
      assert.match(missingKey.stderr, /cannot be read \(ENOENT\)/);

      const both = await runCli(layout.sandbox, ['login', 'demo', '--grant', 'client_credentials', '--client-id', 'ci', '--client-secret-env', 'CI_SECRET', '--private-key', notAKey], { env: { CI_SECRET: SECRET } });
      assert.equal(both.code, 2, both.stderr);
      const noClient = await runCli(layout.sandbox, ['login', 'demo', '--grant', 'client_credentials', '--client-secret-env', 'CI_SECRET'], { env: { CI_SECRET: SECRET } });
      assert.equal(noClient.code, 2, noClient.stderr);
      assert.match(noClient.stderr, /needs the client registered for it \(--client-id\)/);

      for (const result of [wrongSecret, badKey, missingKey, both, noClient]) assert.equal(result.stderr.match(/^error: /gm)?.length, 1, result.stderr);
      assert.equal(readFileSync(serverStateFile(layout.sandbox, 'demo'), 'utf8'), before, 'the stored login is unchanged');
      assert.equal(layout.sandbox.readConfig(), config);
      assertNoSecrets([wrongSecret.stdout, wrongSecret.stderr], [SECRET, 'not-the-secret']);
    });
    await withLayout({ auth: authWith([secretClient('client_secret_basic', SECRET)], { advertised: { grantTypes: ['authorization_code', 'refresh_token'] } }) }, async (layout) => {
      const unlisted = await loginWithSecret(layout);
      assert.equal(unlisted.code, 4, unlisted.stderr);
      assert.match(unlisted.stderr, /^error: demo: authorization-server metadata: The authorization server .* does not offer the client_credentials grant \(grant_types_supported: authorization_code, refresh_token\)/m);
      assert.equal(layout.auth.tokenRequests().length, 0, 'nothing asked of a server that does not offer it');
      assert.equal(storedState(layout.sandbox), undefined);
    });
  });
});
