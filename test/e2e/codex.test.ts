// codex-auth with the real Codex CLI: login, then `codex-auth run -- codex exec`
// against a fake model service that makes Codex call the MCP server's tool.
// Static mode (--no-proxy) and the session proxy, on Codex 0.169.0 and 0.130.0.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { execa } from 'execa';
import { codexBin, startModelServer, writeCodexConfig, type ModelAction, type ModelServer, type ModelTurnContext } from '../peers/model-server.ts';
import { assertNoSecrets, runCli } from './harness.ts';
import { ageStoredToken, startLayout, storedState, type Layout, type LayoutOptions } from './fixtures.ts';

type Version = 'latest' | '0.130';
const VERSIONS: Version[] = ['latest', '0.130'];

interface CodexLayout extends Layout {
  model: ModelServer;
  toolOutputs: string[];
}

/** Steps played in order, one per model request; the tool outputs Codex sent back are collected. */
function scripted(steps: Array<(ctx: ModelTurnContext) => ModelAction>, toolOutputs: string[]) {
  return (ctx: ModelTurnContext): ModelAction => {
    if (ctx.lastToolOutput !== undefined) toolOutputs.push(ctx.lastToolOutput);
    const step = steps[Math.min(ctx.turn, steps.length) - 1]!;
    return step(ctx);
  };
}

const callWhoami = (): ModelAction => ({ type: 'call-mcp-tool', server: 'demo', tool: 'whoami' });
const answer = (ctx: ModelTurnContext): ModelAction => ({ type: 'message', text: `the tool said: ${ctx.lastToolOutput ?? 'nothing'}` });

async function startCodexLayout(options: LayoutOptions, steps: Array<(ctx: ModelTurnContext) => ModelAction>): Promise<CodexLayout> {
  const toolOutputs: string[] = [];
  const model = await startModelServer(scripted(steps, toolOutputs));
  const layout = await startLayout(options);
  writeCodexConfig(layout.sandbox.codexHome, {
    modelBaseUrl: model.baseUrl,
    extraToml: `# the user's MCP server
[mcp_servers.demo]
url = "${layout.mcp.url}"   # keep this comment
required = true
default_tools_approval_mode = "approve"
${options.entryToml ?? ''}
`,
  });
  return {
    ...layout,
    model,
    toolOutputs,
    close: async () => {
      await model.close();
      await layout.close();
    },
  };
}

function codexEnv(layout: Layout, version: Version): NodeJS.ProcessEnv {
  return {
    FAKE_API_KEY: 'x',
    BROWSER: layout.browser(),
    ...(version === '0.130' ? { CODEX_AUTH_CODEX_BIN: codexBin('0.130') } : {}),
  };
}

async function login(layout: Layout): Promise<void> {
  const result = await runCli(layout.sandbox, ['login', 'demo'], { env: { BROWSER: layout.browser() } });
  assert.equal(result.code, 0, result.stderr);
}

/** Newer Codex releases can reject unknown config keys: the rewritten file and the overrides must pass. */
function strictConfig(version: Version): string[] {
  return version === 'latest' ? ['--strict-config'] : [];
}

async function runCodex(layout: CodexLayout, version: Version, extraArgs: string[] = []) {
  const codexArgs = ['codex', ...strictConfig(version), 'exec', '--skip-git-repo-check', 'call whoami'];
  return runCli(layout.sandbox, ['run', ...extraArgs, '--', ...codexArgs], { env: codexEnv(layout, version), timeoutMs: 120_000 });
}

function toolCalls(layout: Layout) {
  return layout.mcp.requests.filter((request) => request.rpcMethod === 'tools/call');
}

async function withCodexLayout(options: LayoutOptions, steps: Array<(ctx: ModelTurnContext) => ModelAction>, body: (layout: CodexLayout) => Promise<void>) {
  const layout = await startCodexLayout(options, steps);
  try {
    await body(layout);
  } finally {
    await layout.close();
  }
}

for (const version of VERSIONS) {
  describe(`codex ${version}: login, then run`, () => {
    it('through the session proxy: Codex calls the tool with a token the server accepts, and no OAuth token is in its environment', async () => {
      const outputs: string[] = [];
      const steps: Array<(ctx: ModelTurnContext) => ModelAction> = [
        callWhoami,
        (ctx) => (outputs.push(ctx.lastToolOutput ?? ''), { type: 'run-shell', command: ['env'] }),
        () => ({ type: 'message', text: `the tool said: ${outputs[0]}` }),
      ];
      await withCodexLayout({}, steps, async (layout) => {
        await login(layout);
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

    it('static mode (--no-proxy): the rewritten entry and the token in the environment work', async () => {
      await withCodexLayout({}, [callWhoami, answer], async (layout) => {
        await login(layout);
        const result = await runCodex(layout, version, ['--no-proxy']);
        assert.equal(result.code, 0, result.stderr);
        assert.ok(result.stdout.includes(layout.mcp.marker));
        assert.deepEqual(toolCalls(layout).map((call) => call.tokenOk), [true]);
      });
    });
  });
}

describe('codex: config and refresh', () => {
  it('codex mcp list --json accepts the rewritten config and shows the bearer_token_env_var', async () => {
    await withCodexLayout({}, [answer], async (layout) => {
      await login(layout);
      for (const version of VERSIONS) {
        const bin = codexBin(version);
        const listed = await execa(bin.endsWith('.js') ? process.execPath : bin, [...(bin.endsWith('.js') ? [bin] : []), 'mcp', 'list', '--json'], {
          env: { ...layout.sandbox.env },
          extendEnv: false,
          reject: false,
          stdin: 'ignore',
        });
        assert.equal(listed.exitCode, 0, String(listed.stderr));
        const servers = JSON.parse(String(listed.stdout)) as Array<{ name: string; transport: { bearer_token_env_var?: string } }>;
        const demo = servers.find((server) => server.name === 'demo');
        assert.equal(demo?.transport.bearer_token_env_var, 'CODEX_AUTH_DEMO_TOKEN', `codex ${version}`);
      }
    });
  });

  it('a short-lived token is kept while young and refreshed before launch near its end; Codex succeeds both times', async () => {
    await withCodexLayout({ auth: { accessTokenTtlSeconds: 60 } }, [callWhoami, answer, callWhoami, answer], async (layout) => {
      await login(layout);
      const young = await runCodex(layout, 'latest', ['--no-proxy']);
      assert.equal(young.code, 0, young.stderr);
      assert.equal(layout.auth.tokenRequests('refresh_token').length, 0, 'a token in the first three quarters of its life is not refreshed');
      ageStoredToken(layout.sandbox, 10_000);
      const before = storedState(layout.sandbox)!.grant!.tokens.accessToken;
      const result = await runCodex(layout, 'latest', ['--no-proxy']);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(layout.auth.tokenRequests('refresh_token').length, 1);
      assert.notEqual(storedState(layout.sandbox)!.grant!.tokens.accessToken, before);
      assert.deepEqual(toolCalls(layout).map((call) => call.tokenOk), [true, true]);
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
