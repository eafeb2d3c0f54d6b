// Smoke tests of the real test peers working together, without codex-auth: the MCP server's
// challenges and metadata, a by-hand OAuth login whose token the MCP server accepts (and one it must
// refuse), the real Codex CLI calling the MCP server with a static bearer token, and the fixture that
// installs Codex releases no lockfile can hold, against a registry on loopback.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import http from 'node:http';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { startAuthServer } from '../peers/auth-server.ts';
import type { AuthServer } from '../peers/auth-server.ts';
import { driveAuthorization, makeBrowserCommand } from '../peers/browser.ts';
import { provideCodexRelease } from '../peers/codex-releases.ts';
import { callToolWithToken, listToolsWithToken, startMcpServer } from '../peers/mcp-server.ts';
import type { McpServer } from '../peers/mcp-server.ts';
import { runCodexExec, startModelServer, writeCodexConfig } from '../peers/model-server.ts';
import { fetchAuthServerMetadata, jwtClaims, obtainTokensByHand, postForm } from '../peers/oauth-client.ts';
import { closeServer, listenOnLoopback } from '../peers/net.ts';

const INITIALIZE = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'probe', version: '1' } },
};

function postInitialize(url: string, token?: string): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify(INITIALIZE),
  });
}

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(os.tmpdir(), prefix));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

// `resources` is read on every request, so MCP servers started later can be added to it.
let auth: AuthServer;
const resources: Record<string, { scope: string }> = {};
before(async () => {
  auth = await startAuthServer({ resources });
});
after(() => auth.close());

async function mcpServer(options: Omit<Parameters<typeof startMcpServer>[0], 'authServer'> = {}): Promise<McpServer> {
  const mcp = await startMcpServer({ authServer: auth, ...options });
  resources[mcp.resource] = { scope: 'mcp:read mcp:write' };
  after(() => mcp.close());
  return mcp;
}

describe('MCP server: challenge and protected-resource metadata', () => {
  test('401 names the challenge PRM location, and PRM answers at every configured place', async () => {
    const mcp = await mcpServer({ challengeScope: 'mcp:read', scopesSupported: ['mcp:read', 'mcp:write'] });
    const response = await postInitialize(mcp.url);
    assert.equal(response.status, 401);
    assert.equal(
      response.headers.get('www-authenticate'),
      `Bearer scope="mcp:read", resource_metadata="${mcp.origin}/custom/prm-location"`,
    );
    for (const path of ['/custom/prm-location', '/.well-known/oauth-protected-resource/mcp', '/.well-known/oauth-protected-resource']) {
      const prm = await fetch(mcp.origin + path);
      assert.equal(prm.status, 200, path);
      assert.deepEqual(await prm.json(), {
        resource: mcp.url,
        authorization_servers: [auth.issuer],
        bearer_methods_supported: ['header'],
        scopes_supported: ['mcp:read', 'mcp:write'],
      });
    }
  });

  test('PRM only at the root (user report 1 shape): no resource_metadata in the challenge', async () => {
    const mcp = await mcpServer({ prmAt: ['root'], resource: (origin) => origin });
    assert.equal((await postInitialize(mcp.url)).headers.get('www-authenticate'), 'Bearer');
    assert.equal((await fetch(`${mcp.origin}/custom/prm-location`)).status, 404);
    assert.equal((await fetch(`${mcp.origin}/.well-known/oauth-protected-resource/mcp`)).status, 404);
    const prm = (await (await fetch(`${mcp.origin}/.well-known/oauth-protected-resource`)).json()) as { resource: string };
    assert.equal(prm.resource, mcp.origin);
  });
});

describe('a by-hand OAuth login against the real authorization server', () => {
  test('yields a JWT for the resource that the MCP server accepts', async () => {
    const mcp = await mcpServer();
    const tokens = await obtainTokensByHand(auth.issuer, { resource: mcp.resource, scope: 'mcp:read offline_access' });
    const claims = jwtClaims(tokens.access_token);
    assert.equal(claims.aud, mcp.url);
    assert.equal(claims.iss, auth.issuer);
    assert.equal(claims.scope, 'mcp:read');
    assert.ok(tokens.refresh_token, 'a refresh token is issued to a client allowed the refresh_token grant');
    assert.deepEqual((await listToolsWithToken(mcp.url, tokens.access_token)).sort(), ['echo', 'whoami']);
    assert.equal(await callToolWithToken(mcp.url, tokens.access_token, 'whoami'), mcp.marker);
    const accepted = mcp.requests.filter((r) => r.tokenOk);
    assert.ok(accepted.some((r) => r.rpcMethod === 'tools/list' && r.tokenAud === mcp.url));
  });

  test('a token for another resource is refused with invalid_token', async () => {
    const mcp = await mcpServer();
    const other = await mcpServer();
    const tokens = await obtainTokensByHand(auth.issuer, { resource: other.resource, scope: 'mcp:read' });
    await assert.rejects(listToolsWithToken(mcp.url, tokens.access_token));
    const response = await postInitialize(mcp.url, tokens.access_token);
    assert.equal(response.status, 401);
    assert.match(response.headers.get('www-authenticate') ?? '', /^Bearer error="invalid_token", resource_metadata="/);
    assert.ok(mcp.requests.some((r) => !r.tokenOk && r.tokenAud === other.resource));
  });

  test('token requests without resource are refused; refresh rotates and reuse revokes the grant', async () => {
    const mcp = await mcpServer();
    const tokens = await obtainTokensByHand(auth.issuer, { resource: mcp.resource, scope: 'mcp:read offline_access' });
    const { token_endpoint } = await fetchAuthServerMetadata(auth.issuer);
    const refresh = { grant_type: 'refresh_token', client_id: tokens.client_id, refresh_token: tokens.refresh_token ?? '' };
    await assert.rejects(postForm(token_endpoint, refresh), /invalid_target/);
    const rotated = await postForm(token_endpoint, { ...refresh, resource: mcp.resource });
    assert.notEqual(rotated.refresh_token, tokens.refresh_token);
    await assert.rejects(postForm(token_endpoint, { ...refresh, resource: mcp.resource }), /invalid_grant/);
    await assert.rejects(
      postForm(token_endpoint, { ...refresh, refresh_token: String(rotated.refresh_token), resource: mcp.resource }),
      /invalid_grant/,
    );
    const refreshes = auth.tokenRequests('refresh_token').slice(-4).map((r) => r.status);
    assert.deepEqual(refreshes, [400, 200, 400, 400]);
  });

  test('step-up: tools/call needs more scope and gets 403 insufficient_scope', async () => {
    const mcp = await mcpServer({ stepUpScopes: ['mcp:write'] });
    const tokens = await obtainTokensByHand(auth.issuer, { resource: mcp.resource, scope: 'mcp:read' });
    assert.deepEqual((await listToolsWithToken(mcp.url, tokens.access_token)).sort(), ['echo', 'whoami']);
    await assert.rejects(callToolWithToken(mcp.url, tokens.access_token, 'whoami'));
    const refused = mcp.requests.find((r) => r.rpcMethod === 'tools/call');
    assert.equal(refused?.status, 403);
  });

  test('issuer with a path: metadata forms and a login through the $BROWSER script', async () => {
    const mcp = await mcpServer();
    const tenant = await startAuthServer({ issuerPath: '/tenant1', metadataForms: ['oidc-append'], resources });
    after(() => tenant.close());
    assert.equal((await fetch(`${tenant.origin}/.well-known/oauth-authorization-server/tenant1`)).status, 404);
    const metadata = (await (await fetch(`${tenant.issuer}/.well-known/openid-configuration`)).json()) as Record<string, string>;
    assert.equal(metadata.issuer, tenant.issuer);
    assert.equal(metadata.authorization_endpoint, `${tenant.issuer}/auth`);

    const callbacks: URL[] = [];
    const listener = http.createServer((req, res) => {
      callbacks.push(new URL(req.url ?? '/', 'http://127.0.0.1'));
      res.end('done');
    });
    const callbackOrigin = await listenOnLoopback(listener);
    after(() => closeServer(listener));
    const clientId = await registerClient(metadata.registration_endpoint ?? '', `${callbackOrigin}/cb`);
    const authorize = new URL(metadata.authorization_endpoint ?? '');
    authorize.search = new URLSearchParams({
      response_type: 'code',
      client_id: clientId,
      redirect_uri: `${callbackOrigin}/cb`,
      state: 'the-state',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
      resource: mcp.resource,
    }).toString();

    const dir = tempDir('peers-browser-');
    const logFile = join(dir, 'urls.log');
    const browser = makeBrowserCommand(dir, { mode: 'tamper-iss', logFile });
    const exitCode = await new Promise<number | null>((resolve) => spawn(browser, [authorize.href]).on('close', resolve));
    assert.equal(exitCode, 0);
    assert.equal(readFileSync(logFile, 'utf8'), `${authorize.href}\n`);
    assert.equal(callbacks.length, 1);
    assert.equal(callbacks[0]?.searchParams.get('state'), 'the-state');
    assert.equal(callbacks[0]?.searchParams.get('iss'), 'http://attacker.invalid');
    assert.ok(callbacks[0]?.searchParams.get("code"), callbacks[0]?.href);
  });
});

describe('authorization-server options and browser modes', () => {
  test('metadata overrides and the Fastmail registration refusal', async () => {
    const odd = await startAuthServer({
      resources,
      advertiseS256: false,
      metadataIssuerOverride: 'http://127.0.0.1:1/elsewhere',
      requireScopeOnRegistration: true,
    });
    after(() => odd.close());
    const metadata = await fetchAuthServerMetadata(odd.issuer);
    assert.equal(metadata.issuer, 'http://127.0.0.1:1/elsewhere');
    assert.equal(metadata.code_challenge_methods_supported, undefined);
    assert.equal(metadata.authorization_response_iss_parameter_supported, true);
    const refused = await fetch(metadata.registration_endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ redirect_uris: ['http://127.0.0.1:9/cb'], token_endpoint_auth_method: 'none', application_type: 'native' }),
    });
    assert.equal(refused.status, 400);
    assert.deepEqual(await refused.json(), { error: 'invalid_client_metadata', error_description: 'invalid_request no scope' });
    assert.deepEqual(odd.registrations(), [
      { redirect_uris: ['http://127.0.0.1:9/cb'], token_endpoint_auth_method: 'none', application_type: 'native' },
    ]);
  });

  test('deny, tamper-state and a missing resource all come back to the redirect URI', async () => {
    const mcp = await mcpServer();
    const metadata = await fetchAuthServerMetadata(auth.issuer);
    const clientId = await registerClient(metadata.registration_endpoint, 'http://127.0.0.1:9/cb');
    const authorize = (extra: Record<string, string>) => {
      const url = new URL(metadata.authorization_endpoint);
      url.search = new URLSearchParams({
        response_type: 'code',
        client_id: clientId,
        redirect_uri: 'http://127.0.0.1:9/cb',
        state: 's1',
        code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
        code_challenge_method: 'S256',
        ...extra,
      }).toString();
      return url.href;
    };
    const denied = await driveAuthorization(authorize({ resource: mcp.resource }), 'deny');
    assert.equal(denied.searchParams.get('error'), 'access_denied');
    assert.equal(denied.searchParams.get('iss'), auth.issuer);
    const tampered = await driveAuthorization(authorize({ resource: mcp.resource }), 'tamper-state');
    assert.equal(tampered.searchParams.get('state'), 's1-tampered');
    assert.ok(tampered.searchParams.get('code'));
    const noResource = await driveAuthorization(authorize({ scope: 'mcp:read' }));
    assert.equal(noResource.searchParams.get('error'), 'invalid_target');
  });

  test('device flow (RFC 8628) with a pre-registered client', async () => {
    const mcp = await mcpServer();
    const device = await startAuthServer({
      resources,
      deviceFlow: true,
      clients: [{ client_id: 'tv', redirect_uris: ['http://127.0.0.1:9/cb'] }],
    });
    after(() => device.close());
    const metadata = await fetchAuthServerMetadata(device.issuer);
    const start = await postForm(metadata.device_authorization_endpoint, { client_id: 'tv', scope: 'mcp:read', resource: mcp.resource });
    await driveAuthorization(String(start.verification_uri_complete));
    const tokens = await postForm(metadata.token_endpoint, {
      grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
      device_code: String(start.device_code),
      client_id: 'tv',
      resource: mcp.resource,
    });
    assert.equal(jwtClaims(String(tokens.access_token)).aud, mcp.resource);
  });
});

async function registerClient(endpoint: string, redirectUri: string): Promise<string> {
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ redirect_uris: [redirectUri], token_endpoint_auth_method: 'none', application_type: 'native' }),
  });
  return ((await response.json()) as { client_id: string }).client_id;
}

describe('the real Codex CLI with a static bearer token', () => {
  for (const version of ['latest', '0.130'] as const) {
    test(`Codex ${version} calls whoami through bearer_token_env_var, then runs a shell command`, async () => {
      const mcp = await mcpServer();
      const tokens = await obtainTokensByHand(auth.issuer, { resource: mcp.resource, scope: 'mcp:read' });
      const outputs: string[] = [];
      const model = await startModelServer((ctx) => {
        if (ctx.lastToolOutput !== undefined) outputs.push(ctx.lastToolOutput);
        if (ctx.turn === 1) return { type: 'call-mcp-tool', server: 'peer', tool: 'whoami' };
        if (ctx.turn === 2) return { type: 'run-shell', command: ['echo', 'from the shell'] };
        return { type: 'message', text: `the tool said: ${outputs[0]}` };
      });
      after(() => model.close());
      const home = tempDir('peers-codex-');
      const codexHome = join(home, '.codex');
      writeCodexConfig(codexHome, {
        modelBaseUrl: model.baseUrl,
        extraToml: `[mcp_servers.peer]
url = "${mcp.url}"
bearer_token_env_var = "PEER_MCP_TOKEN"
required = true
default_tools_approval_mode = "approve"`,
      });

      const run = await runCodexExec({ version, home, codexHome, prompt: 'call whoami', env: { PEER_MCP_TOKEN: tokens.access_token } });
      assert.equal(run.exitCode, 0, run.stderr);
      assert.match(run.stdout, /the tool said: /);
      assert.ok(run.stdout.includes(mcp.marker), run.stdout);
      assert.match(outputs[1] ?? '', /from the shell/);
      const calls = mcp.requests.filter((r) => r.rpcMethod === 'tools/call');
      assert.deepEqual(calls.map((r) => [r.tokenOk, r.status]), [[true, 200]]);
    });
  }
});

/**
 * An npm registry on loopback holding an `@openai/codex` shaped as the real one: each version names
 * its platform build `npm:@openai/codex@<version>-<platform>` as an optional dependency, and only the
 * versions in `withBuild` have that build published. Counts the tarballs fetched.
 */
async function fakeCodexRegistry(versions: string[], withBuild: string[]) {
  const platform = `${process.platform}-${process.arch}`;
  const root = tempDir('codex-registry-');
  const tarballs = new Map<string, Buffer>();
  const fetched: string[] = [];
  const pack = (version: string, files: Record<string, string>) => {
    const dir = join(root, version, 'package');
    for (const [file, text] of Object.entries({ 'package.json': JSON.stringify({ name: '@openai/codex', version, bin: { codex: 'bin/codex.js' } }), ...files })) {
      mkdirSync(join(dir, file, '..'), { recursive: true });
      writeFileSync(join(dir, file), text);
    }
    tarballs.set(`codex-${version}.tgz`, execFileSync('tar', ['-cz', '-C', join(root, version), 'package']));
  };
  const server = http.createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', origin).pathname);
    if (path === '/@openai/codex') {
      const all = [...versions, ...withBuild.map((version) => `${version}-${platform}`)];
      const manifest = (version: string) => ({
        name: '@openai/codex',
        version,
        ...(versions.includes(version) ? { bin: { codex: 'bin/codex.js' }, optionalDependencies: { [`@openai/codex-${platform}`]: `npm:@openai/codex@${version}-${platform}` } } : {}),
        dist: { tarball: `${origin}/codex-${version}.tgz` },
      });
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ name: '@openai/codex', 'dist-tags': { latest: versions.at(-1) }, versions: Object.fromEntries(all.map((version) => [version, manifest(version)])) }));
      return;
    }
    const tarball = tarballs.get(path.slice(1));
    if (tarball) fetched.push(path.slice(1));
    if (tarball) res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(tarball);
    else res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"Not found"}');
  });
  const origin = await listenOnLoopback(server);
  after(() => closeServer(server));
  for (const version of versions) pack(version, { 'bin/codex.js': `console.log('codex-cli ${version}');\n` });
  for (const version of withBuild) pack(`${version}-${platform}`, { 'vendor/codex': '' });
  return { registry: `${origin}/`, fetched, platform };
}

describe('codex-releases: Codex releases npm cannot lock, from a registry on loopback', () => {
  test('two concurrent callers get one install; a later call reuses it without the registry', async () => {
    const { registry, fetched, platform } = await fakeCodexRegistry(['0.0.3'], ['0.0.3']);
    const dir = tempDir('codex-releases-');
    const launchers = await Promise.all([provideCodexRelease('0.0.3', { dir, registry }), provideCodexRelease('0.0.3', { dir, registry })]);
    assert.equal(launchers[0], join(dir, '0.0.3', 'node_modules', '@openai', 'codex', 'bin', 'codex.js'));
    assert.equal(launchers[1], launchers[0]);
    assert.deepEqual(fetched.sort(), [`codex-0.0.3-${platform}.tgz`, 'codex-0.0.3.tgz'], 'each tarball fetched once');
    assert.deepEqual(readdirSync(dir).sort(), ['0.0.3'], 'no temp directory or lock left');
    assert.deepEqual(readdirSync(join(dir, '0.0.3')), ['node_modules'], 'no npm cache left');
    assert.equal(await provideCodexRelease('0.0.3', { dir, registry: 'http://127.0.0.1:9/' }), launchers[0]);
  });

  test('no build for this platform: fails naming the platform and the command to check, and leaves nothing that looks installed', async () => {
    const { registry, platform } = await fakeCodexRegistry(['0.0.1'], []);
    const dir = tempDir('codex-releases-');
    await assert.rejects(provideCodexRelease('0.0.1', { dir, registry }), (error: Error) => {
      assert.match(error.message, new RegExp(`^cannot provide Codex 0\\.0\\.1 for the tests: the npm registry has no build of it for ${platform}; next: .*\`npm view @openai/codex@0\\.0\\.1-${platform} version\``));
      return true;
    });
    assert.deepEqual(readdirSync(dir), []);
  });

  test('a release the registry does not have: fails with npm\'s reason and the install command to run', async () => {
    const { registry } = await fakeCodexRegistry(['0.0.1'], []);
    const dir = tempDir('codex-releases-');
    await assert.rejects(provideCodexRelease('0.0.2', { dir, registry }), (error: Error) => {
      assert.match(error.message, /^cannot provide Codex 0\.0\.2 for the tests: npm install failed \(exit 1\): code ETARGET \| .*; next: run `npm install --no-save --prefix \S+ @openai\/codex@0\.0\.2`/);
      return true;
    });
    assert.deepEqual(readdirSync(dir), []);
  });
});
