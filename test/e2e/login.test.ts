// `codex-auth login` end to end: a real oidc-provider, a real SDK MCP server
// that validates signature, iss, aud and scope, and a headless browser. A login
// counts only when the MCP server then accepts the token.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { execa } from 'execa';
import { driveAuthorization } from '../peers/browser.ts';
import { listToolsWithToken } from '../peers/mcp-server.ts';
import { assertNoSecrets, CLI, runCli } from './harness.ts';
import { authorizationRequests, freePort, jwtClaims, storedState, withLayout, type Layout, type LayoutOptions } from './fixtures.ts';

async function loginSucceeds(layout: Layout, extraArgs: string[] = [], env: NodeJS.ProcessEnv = {}) {
  const result = await runCli(layout.sandbox, ['login', 'demo', ...extraArgs], { env: { BROWSER: layout.browser(), ...env } });
  assert.equal(result.code, 0, `login failed: ${result.stderr}`);
  const state = storedState(layout.sandbox);
  assert.ok(state?.grant, 'a grant is stored');
  const token = state.grant.tokens.accessToken;
  assert.deepEqual((await listToolsWithToken(layout.mcp.url, token)).sort(), ['echo', 'whoami']);
  assertNoSecrets([result.stdout, result.stderr], [token, state.grant.tokens.refreshToken, state.grant.client.clientSecret]);
  return { result, state, token, claims: jwtClaims(token) };
}

/** Exactly one `resource` on the authorization request and on every token request. */
function assertResourceSentOnce(layout: Layout, resource: string) {
  const authorizations = authorizationRequests(layout.auth);
  assert.ok(authorizations.length > 0);
  for (const request of authorizations) assert.deepEqual(request.query.resource, [resource]);
  const tokenRequests = layout.auth.tokenRequests();
  assert.ok(tokenRequests.length > 0);
  for (const request of tokenRequests) assert.deepEqual(request.form?.resource, [resource]);
}

async function loginFails(layout: Layout, browserMode: Parameters<Layout['browser']>[0] = 'approve', env: NodeJS.ProcessEnv = {}) {
  const before = layout.sandbox.readConfig();
  const result = await runCli(layout.sandbox, ['login', 'demo'], { env: { BROWSER: layout.browser(browserMode), ...env } });
  assert.notEqual(result.code, 0);
  assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
  assert.match(result.stderr, /demo/, 'the error names the server');
  assert.equal(storedState(layout.sandbox)?.grant, undefined, 'nothing stored');
  assert.equal(layout.sandbox.readConfig(), before, 'config untouched');
  return result;
}

describe('login: the user reports', () => {
  it('report 1: the metadata resource differs from the URL and is required, so the token audience is exactly it', async () => {
    await withLayout({ mcp: { prmAt: ['root'], resource: (origin) => origin } }, async (layout) => {
      assert.notEqual(layout.mcp.resource, layout.mcp.url);
      const { claims, state } = await loginSucceeds(layout);
      assert.equal(claims.aud, layout.mcp.resource);
      assert.equal(state.grant?.resource, layout.mcp.resource);
      assertResourceSentOnce(layout, layout.mcp.resource);
    });
  });

  it('report 2: registration without scope is refused; the resource scopes (narrower than the AS list) are registered', async () => {
    await withLayout(
      {
        auth: { requireScopeOnRegistration: true, scopes: ['openid', 'offline_access', 'mail', 'contacts', 'mcp:read', 'mcp:write'] },
        mcp: { scopesSupported: ['mcp:read', 'offline_access'], requiredScopes: ['mcp:read'] },
        resourceScope: 'mcp:read',
      },
      async (layout) => {
        const { claims } = await loginSucceeds(layout);
        const [registration] = layout.auth.registrations() as Array<{ scope?: string; application_type?: string; grant_types?: string[] }>;
        assert.deepEqual(registration?.scope?.split(' ').sort(), ['mcp:read', 'offline_access']);
        assert.equal(registration?.application_type, 'native');
        assert.ok(registration?.grant_types?.includes('refresh_token'));
        assert.match(String(claims.scope), /mcp:read/);
        assert.doesNotMatch(String(claims.scope), /mail|contacts/);
      },
    );
  });
});

describe('login: flags', () => {
  it('--scopes given twice asks for the scopes of both, as one list would', async () => {
    await withLayout({ mcp: { scopesSupported: ['mcp:read', 'offline_access'], requiredScopes: ['mcp:read'] } }, async (layout) => {
      const { claims } = await loginSucceeds(layout, ['--scopes', 'mcp:read', '--scopes', 'offline_access']);
      const [authorization] = authorizationRequests(layout.auth);
      assert.deepEqual(authorization?.query.scope?.[0]?.split(' ').sort(), ['mcp:read', 'offline_access']);
      assert.match(String(claims.scope), /mcp:read/);
    });
  });
});

describe('login: every discovery path', () => {
  const cases: Array<[string, LayoutOptions]> = [
    ['resource_metadata URL from the challenge only', { mcp: { prmAt: ['challenge'] } }],
    ['path-aware well-known only', { mcp: { prmAt: ['path'] } }],
    ['root well-known only', { mcp: { prmAt: ['root'] } }],
    ['RFC 8414 path insertion for an issuer with a path', { auth: { issuerPath: '/tenant1', metadataForms: ['oauth-insert'] } }],
    ['OpenID Connect discovery only, path appended', { auth: { issuerPath: '/tenant1', metadataForms: ['oidc-append'] } }],
    ['OpenID Connect discovery only, path inserted', { auth: { issuerPath: '/tenant1', metadataForms: ['oidc-insert'] } }],
    ['OpenID Connect discovery only, issuer without a path', { auth: { metadataForms: ['oidc-append'] } }],
  ];
  for (const [title, options] of cases) {
    it(title, async () => {
      await withLayout(options, async (layout) => {
        const { claims, state } = await loginSucceeds(layout);
        assert.equal(claims.aud, layout.mcp.resource);
        assert.equal(claims.iss, layout.auth.issuer);
        assert.equal(state.grant?.issuer, layout.auth.issuer);
        // The authorization server is its own origin (another port), never the MCP server.
        assert.notEqual(new URL(layout.auth.issuer).port, new URL(layout.mcp.url).port);
      });
    });
  }
});

describe('login: refusals leave nothing behind', () => {
  it('protected-resource metadata whose resource does not match', async () => {
    await withLayout({ mcp: { prmAt: ['path'], resource: (origin) => `${origin}/somewhere-else` } }, async (layout) => {
      const result = await loginFails(layout);
      assert.match(result.stderr, /resource/);
      assert.equal(result.code, 4);
    });
  });

  it('authorization-server metadata with another issuer', async () => {
    await withLayout({ auth: { metadataIssuerOverride: 'http://127.0.0.1:1/not-me' } }, async (layout) => {
      const result = await loginFails(layout);
      assert.match(result.stderr, /issuer/);
      assert.equal(result.code, 4);
    });
  });

  it('an authorization server without S256', async () => {
    await withLayout({ auth: { advertiseS256: false } }, async (layout) => {
      const result = await loginFails(layout);
      assert.match(result.stderr, /S256|PKCE/);
      assert.equal(layout.auth.registrations().length, 0, 'no client registered');
    });
  });

  // The listener answers another login's response with 400 and waits on, until the login's wait ends.
  it('a callback with the wrong state', async () => {
    await withLayout({}, async (layout) => {
      const result = await loginFails(layout, 'tamper-state', { CODEX_AUTH_LOGIN_WAIT_MS: '5000' });
      assert.match(result.stderr, /ignored a request to the callback address: it does not carry this login's state/);
      assert.equal(result.code, 6);
      assert.equal(layout.auth.tokenRequests().length, 0, 'the code is never exchanged');
    });
  });

  it('a callback with the wrong iss (RFC 9207)', async () => {
    await withLayout({}, async (layout) => {
      const result = await loginFails(layout, 'tamper-iss', { CODEX_AUTH_LOGIN_WAIT_MS: '5000' });
      assert.match(result.stderr, /ignored a request to the callback address: it names another issuer/);
      assert.equal(result.code, 6);
      assert.equal(layout.auth.tokenRequests().length, 0);
    });
  });

  it('error= on the callback (the person denied access)', async () => {
    await withLayout({}, async (layout) => {
      const result = await loginFails(layout, 'deny');
      assert.match(result.stderr, /access_denied/);
      assert.equal(result.code, 6);
    });
  });
});

describe('login: client identity and the paste flow', () => {
  it('a pre-registered confidential client, secret from an environment variable, fixed callback port', async () => {
    const port = await freePort();
    const redirect = `http://127.0.0.1:${port}/callback`;
    await withLayout(
      {
        auth: { clients: [{ client_id: 'codex-desktop', client_secret: 'pre-registered-secret-value', redirect_uris: [redirect], token_endpoint_auth_method: 'client_secret_basic' }] },
        entryToml: `[mcp_servers.demo.oauth]\nclient_id = "codex-desktop"\ncallback_port = ${port}`,
      },
      async (layout) => {
        const { state, result } = await loginSucceeds(layout, ['--client-secret-env', 'DEMO_SECRET'], { DEMO_SECRET: 'pre-registered-secret-value' });
        assert.equal(layout.auth.registrations().length, 0, 'no dynamic registration');
        assert.equal(state.grant?.client.clientId, 'codex-desktop');
        assert.deepEqual(authorizationRequests(layout.auth)[0]?.query.redirect_uri, [redirect]);
        assertNoSecrets([result.stdout, result.stderr], ['pre-registered-secret-value']);
      },
    );
  });

  it('--no-browser prints the URL and accepts the pasted redirect', async () => {
    await withLayout({}, async (layout) => {
      const child = execa(process.execPath, [CLI, 'login', 'demo', '--no-browser'], { env: layout.sandbox.env, extendEnv: false, reject: false, stdin: 'pipe', timeout: 60_000 });
      let stderr = '';
      let pastedOnce = false;
      const pasted = new Promise<void>((resolve, reject) => {
        child.stderr!.on('data', (chunk: Buffer) => {
          stderr += chunk.toString();
          const match = /Open this URL in a browser[^\n]*\n\s*(\S+)\n/.exec(stderr);
          if (!match?.[1] || pastedOnce) return;
          pastedOnce = true;
          driveAuthorization(match[1]).then((redirect) => {
            child.stdin!.write(`${redirect.href}\n`);
            resolve();
          }, reject);
        });
      });
      await pasted;
      const result = await child;
      assert.equal(result.exitCode, 0, String(result.stderr));
      const token = storedState(layout.sandbox)?.grant?.tokens.accessToken;
      assert.ok(token);
      assert.ok((await listToolsWithToken(layout.mcp.url, token)).length > 0);
      assert.match(readFileSync(layout.sandbox.configPath, 'utf8'), /\nhttp_headers_helper = .* headers demo --config .* --state-dir .*\n/);
    });
  });

  it('a server that needs no authorization is reported and skipped', async () => {
    await withLayout({ mcp: { open: true } }, async (layout) => {
      const before = layout.sandbox.readConfig();
      const result = await runCli(layout.sandbox, ['login', 'demo'], { env: { BROWSER: layout.browser() } });
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stderr, /demo: needs no authorization/);
      assert.equal(storedState(layout.sandbox)?.grant, undefined);
      assert.equal(layout.sandbox.readConfig(), before);
      assert.equal(layout.auth.requests.length, 0, 'the authorization server is never contacted');
    });
  });
});
