// codex-auth with the real Codex CLI: a layout (real authorization and MCP servers) plus a fake
// model service that makes Codex call the MCP server's tool, and `codex-auth run -- codex exec`.
import assert from 'node:assert/strict';
import { codexBin, startModelServer, writeCodexConfig, type CodexRelease, type ModelAction, type ModelServer, type ModelTurnContext } from '../peers/model-server.ts';
import { runCli } from './harness.ts';
import { startLayout, type Layout, type LayoutOptions } from './fixtures.ts';

export type Version = CodexRelease;
export const VERSIONS: Version[] = ['latest', '0.130'];

export interface CodexLayout extends Layout {
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

export const callWhoami = (): ModelAction => ({ type: 'call-mcp-tool', server: 'demo', tool: 'whoami' });
export const answer = (ctx: ModelTurnContext): ModelAction => ({ type: 'message', text: `the tool said: ${ctx.lastToolOutput ?? 'nothing'}` });

export async function startCodexLayout(options: LayoutOptions, steps: Array<(ctx: ModelTurnContext) => ModelAction>): Promise<CodexLayout> {
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

export function codexEnv(layout: Layout, version: Version): NodeJS.ProcessEnv {
  return {
    FAKE_API_KEY: 'x',
    BROWSER: layout.browser(),
    ...(version === 'latest' ? {} : { CODEX_AUTH_CODEX_BIN: codexBin(version) }),
  };
}

export async function login(layout: Layout, args: string[] = []): Promise<void> {
  const result = await runCli(layout.sandbox, ['login', 'demo', ...args], { env: { BROWSER: layout.browser() } });
  assert.equal(result.code, 0, result.stderr);
}

/** Newer Codex releases can reject unknown config keys: the rewritten file and the overrides must pass. */
function strictConfig(version: Version): string[] {
  return version === 'latest' ? ['--strict-config'] : [];
}

export async function runCodex(layout: CodexLayout, version: Version, extraArgs: string[] = []) {
  const codexArgs = ['codex', ...strictConfig(version), 'exec', '--skip-git-repo-check', 'call whoami'];
  return runCli(layout.sandbox, ['run', ...extraArgs, '--', ...codexArgs], { env: codexEnv(layout, version), timeoutMs: 120_000 });
}

export function toolCalls(layout: Layout) {
  return layout.mcp.requests.filter((request) => request.rpcMethod === 'tools/call');
}

export async function withCodexLayout(options: LayoutOptions, steps: Array<(ctx: ModelTurnContext) => ModelAction>, body: (layout: CodexLayout) => Promise<void>) {
  const layout = await startCodexLayout(options, steps);
  try {
    await body(layout);
  } finally {
    await layout.close();
  }
}

export const callThenAnswer = (ctx: ModelTurnContext): ModelAction => (ctx.lastToolOutput === undefined ? callWhoami() : answer(ctx));

