// codex-auth with the real Codex CLI: login, then `codex-auth run -- codex exec`
// against a fake model service that makes Codex call the MCP server's tool.
// The header helper (Codex 0.171.0 runs it), the session proxy, the per-launch variable for
// Codex 0.130.0 on a config wired for the helper, and the helper replaced for the launch of Codex
// 0.150.1 (which runs it but refuses the Authorization it returns).
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { execa } from 'execa';
import { provideCodexRelease } from '../peers/codex-releases.ts';
import { codexBin, type ModelAction, type ModelTurnContext } from '../peers/model-server.ts';
import { expireStoredToken } from '../hardening/helpers.ts';
import { assertNoSecrets, runCli } from './harness.ts';
import { ageStoredToken, storedState, type Layout } from './fixtures.ts';
import { answer, callThenAnswer, callWhoami, login, runCodex, toolCalls, VERSIONS, withCodexLayout, type CodexLayout, type Version } from './codex-fixtures.ts';

/** What the entry holds after a login with the newest Codex on PATH: codex-auth's helper. */
function assertHelperWired(layout: Layout) {
  const config = layout.sandbox.readConfig();
  assert.match(config, /\nhttp_headers_helper = \S+ \S+ headers demo --config \S+ --state-dir \S+\n/);
  assert.doesNotMatch(config, /bearer_token_env_var/);
}

/** The model calls the tool, then has the shell print its environment (toolOutputs[1]), then answers with the tool's words. */
function toolThenEnvironment(): Array<(ctx: ModelTurnContext) => ModelAction> {
  const outputs: string[] = [];
  return [
    callWhoami,
    (ctx) => (outputs.push(ctx.lastToolOutput ?? ''), { type: 'run-shell', command: ['env'] }),
    () => ({ type: 'message', text: `the tool said: ${outputs[0]}` }),
  ];
}

/** The helper remembers what it handed out, so a file per server says Codex asked it. */
function helperWasAsked(layout: Layout): boolean {
  return existsSync(join(layout.sandbox.stateDir, 'handouts', 'demo.json'));
}

for (const version of VERSIONS) {
  describe(`codex ${version}: login, then run`, () => {
    it('codex exec through the session proxy (the default for exec): Codex calls the tool with a token the server accepts, and no OAuth token is in its environment', async () => {
      await withCodexLayout({}, toolThenEnvironment(), async (layout) => {
        await login(layout);
        assertHelperWired(layout);
        const result = await runCodex(layout, version);
        assert.equal(result.code, 0, result.stderr);
        assert.ok(result.stdout.includes(layout.mcp.marker), 'Codex printed the tool answer');
        assert.deepEqual(toolCalls(layout).map((call) => [call.tokenOk, call.status]), [[true, 200]]);
        const state = storedState(layout.sandbox)!;
        const shellOutput = layout.toolOutputs[1] ?? '';
        assert.match(shellOutput, /CODEX_HOME|PATH/, 'the shell ran env');
        assertNoSecrets([shellOutput, result.stdout, result.stderr], [state.grant!.tokens.accessToken, state.grant!.tokens.refreshToken]);
        assert.ok(layout.sandbox.readConfig().includes('url = "' + layout.mcp.url + '"   # keep this comment'), 'the proxy does not touch config.toml');
      });
    });
  });
}

describe('codex latest: the header helper', () => {
  it('--no-proxy: Codex runs codex-auth headers itself; no token in its environment, none in the env file', async () => {
    await withCodexLayout({}, toolThenEnvironment(), async (layout) => {
      await login(layout);
      const result = await runCodex(layout, 'latest', ['--no-proxy']);
      assert.equal(result.code, 0, result.stderr);
      assert.ok(result.stdout.includes(layout.mcp.marker));
      assert.deepEqual(toolCalls(layout).map((call) => [call.tokenOk, call.status]), [[true, 200]]);
      assert.ok(helperWasAsked(layout), 'Codex ran the helper');
      const state = storedState(layout.sandbox)!;
      assertNoSecrets([layout.toolOutputs[1] ?? '', result.stdout, result.stderr], [state.grant!.tokens.accessToken, state.grant!.tokens.refreshToken]);
      assert.ok(!existsSync(join(layout.sandbox.stateDir, 'env')), 'helper-wired entries need no env file');
    });
  });

  it('the token expires during the session: the server answers 401, Codex asks the helper again, which refreshes once', async () => {
    const steps: Array<(ctx: ModelTurnContext) => ModelAction> = [
      callWhoami,
      () => ({ type: 'wait', ms: 7_000, then: callWhoami() }),
      answer,
    ];
    await withCodexLayout({ auth: { accessTokenTtlSeconds: 6 } }, steps, async (layout) => {
      await login(layout);
      const result = await runCodex(layout, 'latest', ['--no-proxy']);
      assert.equal(result.code, 0, result.stderr);
      const calls = toolCalls(layout).map((call) => [call.tokenOk, call.status]);
      assert.deepEqual(calls.filter(([ok]) => ok), [[true, 200], [true, 200]], 'both tool calls ran with an accepted token');
      assert.equal(layout.auth.tokenRequests('refresh_token').length, 1);
    });
  });

  it('the server rejects an unexpired token (revoked): the helper, asked again at once, checks it with the server and refreshes', async () => {
    await withCodexLayout({}, [callThenAnswer], async (layout) => {
      await login(layout);
      layout.mcp.revokedTokens.add(storedState(layout.sandbox)!.grant!.tokens.accessToken);
      const result = await runCodex(layout, 'latest', ['--no-proxy']);
      assert.equal(result.code, 0, result.stderr);
      assert.ok(result.stdout.includes(layout.mcp.marker), 'the tool ran after the retry');
      assert.equal(layout.auth.tokenRequests('refresh_token').length, 1, 'one refresh, for the rejected token');
      assert.deepEqual(toolCalls(layout).map((call) => [call.tokenOk, call.status]), [[true, 200]]);
    });
  });

  it('Codex 0.130 on a config wired for the helper: run points it at the variable for that launch only', async () => {
    await withCodexLayout({}, [callThenAnswer], async (layout) => {
      await login(layout);
      const wired = layout.sandbox.readConfig();
      const result = await runCodex(layout, '0.130', ['--no-proxy']);
      assert.equal(result.code, 0, result.stderr);
      assert.ok(result.stdout.includes(layout.mcp.marker));
      assert.deepEqual(toolCalls(layout).map((call) => call.tokenOk), [true]);
      assert.equal(layout.sandbox.readConfig(), wired, 'config.toml keeps the helper for newer Codex');
    });
  });
});

describe('codex: config and refresh', () => {
  it('both Codex versions accept the helper-wired config: the newest shows the helper (also under --strict-config), 0.130 ignores it', async () => {
    await withCodexLayout({}, [answer], async (layout) => {
      await login(layout);
      const codex = (version: Version, args: string[]) => {
        const bin = codexBin(version);
        return execa(bin.endsWith('.js') ? process.execPath : bin, [...(bin.endsWith('.js') ? [bin] : []), ...args], { env: { ...layout.sandbox.env }, extendEnv: false, reject: false, stdin: 'ignore' });
      };
      const demo = async (version: Version) => {
        const listed = await codex(version, ['mcp', 'list', '--json']);
        assert.equal(listed.exitCode, 0, String(listed.stderr));
        return (JSON.parse(String(listed.stdout)) as Array<{ name: string; transport: Record<string, unknown> }>).find((server) => server.name === 'demo');
      };
      assert.equal((await demo('latest'))?.transport.http_headers_helper, '<redacted>');
      assert.equal((await demo('latest'))?.transport.url, layout.mcp.url);
      const old = await demo('0.130');
      assert.equal(old?.transport.url, layout.mcp.url);
      assert.equal(old?.transport.bearer_token_env_var ?? null, null);
      const strict = await codex('latest', ['app-server', '--strict-config', '--print-startup-config']);
      assert.equal(strict.exitCode, 0, `--strict-config refused the wired config: ${String(strict.stdout)}${String(strict.stderr)}`);
    });
  });

  it('a token handed to an environment (Codex 0.130, --no-proxy) is kept while young and refreshed before launch near its end', async () => {
    await withCodexLayout({ auth: { accessTokenTtlSeconds: 60 } }, [callThenAnswer], async (layout) => {
      await login(layout);
      const young = await runCodex(layout, '0.130', ['--no-proxy']);
      assert.equal(young.code, 0, young.stderr);
      assert.equal(layout.auth.tokenRequests('refresh_token').length, 0, 'a token in the first three quarters of its life is not refreshed');
      ageStoredToken(layout.sandbox, 10_000);
      const before = storedState(layout.sandbox)!.grant!.tokens.accessToken;
      const result = await runCodex(layout, '0.130', ['--no-proxy']);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(layout.auth.tokenRequests('refresh_token').length, 1);
      assert.notEqual(storedState(layout.sandbox)!.grant!.tokens.accessToken, before);
      assert.deepEqual(toolCalls(layout).map((call) => call.tokenOk), [true, true]);
    });
  });

  it('behind the helper, run leaves an unexpired token alone; the helper refreshes it when Codex asks near its end', async () => {
    await withCodexLayout({ auth: { accessTokenTtlSeconds: 60 } }, [callThenAnswer], async (layout) => {
      await login(layout);
      ageStoredToken(layout.sandbox, 10_000);
      const result = await runCli(layout.sandbox, ['run', '--no-proxy', '--', 'true']);
      assert.equal(result.code, 0, result.stderr);
      const launched = await runCodex(layout, 'latest', ['--no-proxy']);
      assert.equal(launched.code, 0, launched.stderr);
      assert.equal(layout.auth.tokenRequests('refresh_token').length, 1, 'refreshed once, by the helper');
      assert.deepEqual(toolCalls(layout).map((call) => call.tokenOk), [true]);
    });
  });

  for (const lifetime of [600, 60]) {
    it(`8 concurrent codex exec through run on an expired token (${lifetime / 60}-minute tokens): one refresh, every call accepted`, async () => {
      await withCodexLayout({ auth: { accessTokenTtlSeconds: lifetime } }, [callThenAnswer], async (layout) => {
        await login(layout);
        expireStoredToken(layout.sandbox);
        const runs = await Promise.all(Array.from({ length: 8 }, () => runCodex(layout, 'latest', ['--no-proxy'])));
        runs.forEach((result, i) => assert.equal(result.code, 0, `run ${i}: ${result.stderr}`));
        assert.equal(layout.auth.tokenRequests('refresh_token').length, 1);
        assert.deepEqual(toolCalls(layout).map((call) => call.tokenOk), Array(8).fill(true));
      });
    });
  }

  it('an entry an earlier release wired to bearer_token_env_var moves to the helper on the next run; unpatch restores the original bytes', async () => {
    await withCodexLayout({}, [callThenAnswer], async (layout) => {
      const original = layout.sandbox.readConfig();
      const old = await runCli(layout.sandbox, ['login', 'demo'], { env: { BROWSER: layout.browser(), CODEX_AUTH_CODEX_BIN: codexBin('0.130') } });
      assert.equal(old.code, 0, old.stderr);
      assert.match(layout.sandbox.readConfig(), /\nbearer_token_env_var = "CODEX_AUTH_DEMO_TOKEN"\n/);
      const result = await runCodex(layout, 'latest', ['--no-proxy']);
      assert.equal(result.code, 0, result.stderr);
      assertHelperWired(layout);
      assert.equal(layout.sandbox.readConfig().split('\n').length, original.split('\n').length + 1, 'the variable line became the helper line');
      assert.deepEqual(toolCalls(layout).map((call) => call.tokenOk), [true]);
      assert.ok(helperWasAsked(layout));
      assert.equal((await runCli(layout.sandbox, ['unpatch'])).code, 0);
      assert.equal(layout.sandbox.readConfig(), original);
    });
  });

  it('the Fastmail-like server (registration refused without scope) works through codex-auth', async () => {
    await withCodexLayout(
      {
        auth: { requireScopeOnRegistration: true, scopes: ['openid', 'offline_access', 'mail', 'mcp:read'] },
        mcp: { scopesSupported: ['mcp:read', 'offline_access'], requiredScopes: ['mcp:read'] },
        resourceScope: 'mcp:read',
      },
      [callWhoami, answer],
      async (layout) => {
        await login(layout);
        const result = await runCodex(layout, 'latest');
        assert.equal(result.code, 0, result.stderr);
        assert.ok(result.stdout.includes(layout.mcp.marker));
      },
    );
  });
});

describe('codex: sessions longer than a token', () => {
  for (const version of VERSIONS) {
    it(`codex ${version}: a tool call after the token expired is still accepted, with one refresh in between`, async () => {
      const refreshesAt: number[] = [];
      let layoutRef: CodexLayout | undefined;
      const countRefreshes = () => refreshesAt.push(layoutRef!.auth.tokenRequests('refresh_token').length);
      const steps: Array<(ctx: ModelTurnContext) => ModelAction> = [
        () => (countRefreshes(), callWhoami()),
        // Wait past the 6 s token lifetime before asking for the second call.
        () => ({ type: 'wait', ms: 7_000, then: (countRefreshes(), callWhoami()) }),
        (ctx) => (countRefreshes(), answer(ctx)),
      ];
      await withCodexLayout({ auth: { accessTokenTtlSeconds: 6 } }, steps, async (layout) => {
        layoutRef = layout;
        await login(layout);
        const result = await runCodex(layout, version);
        assert.equal(result.code, 0, result.stderr);
        assert.deepEqual(toolCalls(layout).map((call) => [call.tokenOk, call.status]), [[true, 200], [true, 200]]);
        const [, afterFirst, afterSecond] = refreshesAt;
        assert.equal((afterSecond ?? 0) - (afterFirst ?? 0), 1, 'exactly one refresh between the two calls');
      });
    });
  }
});

describe('codex: step-up', () => {
  it('tools/call answered 403 insufficient_scope until re-authorized with more scope', async () => {
    await withCodexLayout(
      { mcp: { scopesSupported: ['mcp:read'], requiredScopes: ['mcp:read'], stepUpScopes: ['mcp:write'] } },
      [callWhoami, answer],
      async (layout) => {
        await login(layout);
        assert.doesNotMatch(storedState(layout.sandbox)!.grant!.tokens.scopes?.join(' ') ?? '', /mcp:write/);
        const result = await runCodex(layout, 'latest');
        assert.equal(result.code, 0, result.stderr);
        const calls = toolCalls(layout).map((call) => call.status);
        assert.deepEqual(calls, [403, 200]);
        assert.match(storedState(layout.sandbox)!.grant!.tokens.scopes?.join(' ') ?? '', /mcp:write/);
        assert.ok(result.stdout.includes(layout.mcp.marker));
        assert.ok(readFileSync(join(layout.sandbox.root, 'browser-approve.log'), 'utf8').split('\n').filter(Boolean).length >= 2, 'the browser was used again');
      },
    );
  });
});

describe('codex 0.155.1: the helper, no background server', () => {
  it('on a config wired at login with the newest Codex, plain codex exec (no run) and run -- codex exec both call the tool with a valid token', { timeout: 240_000 }, async () => {
    await withCodexLayout({}, [callThenAnswer, callThenAnswer, callThenAnswer, callThenAnswer], async (layout) => {
      await login(layout);
      assertHelperWired(layout);
      const plain = await execa(codexBin('0.155'), ['exec', '--skip-git-repo-check', 'call whoami'], { cwd: layout.sandbox.root, env: { ...layout.sandbox.env, FAKE_API_KEY: 'x' }, extendEnv: false, reject: false, timeout: 120_000, stdin: 'ignore' });
      assert.equal(plain.exitCode, 0, String(plain.stderr));
      assert.ok(String(plain.stdout).includes(layout.mcp.marker), 'Codex printed the tool answer');
      assert.ok(helperWasAsked(layout), 'Codex 0.155 ran the helper');
      const viaRun = await runCodex(layout, '0.155');
      assert.equal(viaRun.code, 0, viaRun.stderr);
      assert.deepEqual(toolCalls(layout).map((call) => [call.tokenOk, call.status]), [[true, 200], [true, 200]]);
    });
  });
});

describe('codex 0.150.1: runs the helper, refuses the Authorization it returns', () => {
  before(() => provideCodexRelease('0.150.1'), { timeout: 300_000 });

  /** Codex 0.150.1 itself, no codex-auth in between (`sh -c` so a test can source the env file first). */
  const plainCodex = (layout: CodexLayout, script: string, env: NodeJS.ProcessEnv = {}) =>
    execa('sh', ['-c', script], { cwd: layout.sandbox.root, env: { ...layout.sandbox.env, FAKE_API_KEY: 'x', ...env }, extendEnv: false, reject: false, timeout: 120_000, stdin: 'ignore' });

  it('on a config wired with the helper at login (a newer Codex on PATH), plain codex exec fails to start the server; run -- codex exec calls the tool with a valid token, through the proxy and with --no-proxy', { timeout: 240_000 }, async () => {
    await withCodexLayout({}, [callThenAnswer], async (layout) => {
      await login(layout);
      assertHelperWired(layout);
      const wired = layout.sandbox.readConfig();
      const plain = await plainCodex(layout, 'exec "$CODEX" exec --skip-git-repo-check "call whoami"', { CODEX: codexBin('0.150') });
      assert.notEqual(plain.exitCode, 0, 'the required server failed to initialize');
      assert.match(String(plain.stderr), /MCP HTTP headers helper returned a reserved header/);
      assert.ok(helperWasAsked(layout), 'Codex 0.150.1 ran the helper, then refused its Authorization');
      assert.deepEqual(toolCalls(layout), []);
      const viaProxy = await runCodex(layout, '0.150');
      assert.equal(viaProxy.code, 0, viaProxy.stderr);
      assert.ok(viaProxy.stdout.includes(layout.mcp.marker), 'Codex printed the tool answer');
      const viaEnvironment = await runCodex(layout, '0.150', ['--no-proxy']);
      assert.equal(viaEnvironment.code, 0, viaEnvironment.stderr);
      assert.ok(viaEnvironment.stdout.includes(layout.mcp.marker), 'Codex printed the tool answer');
      assert.deepEqual(toolCalls(layout).map((call) => [call.tokenOk, call.status]), [[true, 200], [true, 200]]);
      assert.equal(layout.sandbox.readConfig(), wired, 'config.toml keeps the helper for newer Codex');
    });
  });

  it('with 0.150.1 the codex on PATH at login, the entry reads the variable and plain 0.150.1 works with the env file loaded', { timeout: 240_000 }, async () => {
    await withCodexLayout({}, [callThenAnswer], async (layout) => {
      const bin = join(layout.sandbox.root, 'bin');
      mkdirSync(bin);
      symlinkSync(codexBin('0.150'), join(bin, 'codex'));
      const path = `${bin}:${layout.sandbox.env.PATH}`;
      const loggedIn = await runCli(layout.sandbox, ['login', 'demo'], { env: { PATH: path, BROWSER: layout.browser() } });
      assert.equal(loggedIn.code, 0, loggedIn.stderr);
      const config = layout.sandbox.readConfig();
      assert.match(config, /\nbearer_token_env_var = "CODEX_AUTH_DEMO_TOKEN"\n/);
      assert.doesNotMatch(config, /http_headers_helper/);
      // As the README says to start such a Codex without codex-auth.
      const plain = await plainCodex(layout, 'set -a; . "$CODEX_AUTH_HOME/env"; set +a; exec codex exec --skip-git-repo-check "call whoami"', { PATH: path });
      assert.equal(plain.exitCode, 0, String(plain.stderr));
      assert.ok(String(plain.stdout).includes(layout.mcp.marker), 'Codex printed the tool answer');
      assert.deepEqual(toolCalls(layout).map((call) => [call.tokenOk, call.status]), [[true, 200]]);
    });
  });
});
