// Smoke test of the TUI driver (test/peers/tui.ts): the real interactive Codex 0.171.0 under tmux,
// a real MCP server that validates tokens, and a token from `codex-auth login`. The MCP entry is
// wired by hand here (bearer_token_env_var and the variable in the shell's environment); tests of
// codex-auth's own wiring build on this driver.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, it, type TestContext } from 'node:test';
import { startModelServer, type ModelAction, type ModelServer, type ModelTurnContext } from '../peers/model-server.ts';
import { createTuiHome, isEmbeddedModeWarning, isRunning, sessionMode, startTui, type TuiHome, type TuiSession } from '../peers/tui.ts';
import { assertNoSecrets, runCli } from './harness.ts';
import { startLayout, storedState, type Layout } from './fixtures.ts';

const TOKEN_VARIABLE = 'DEMO_MCP_TOKEN';
const PROMPT = /^call whoami \(session (\w+)\)$/;

/**
 * Keyed on the prompt, not on turn numbers (the server sees every session's requests, and Codex adds
 * requests of its own, such as one asking for a title): a prompt "call whoami (session N)" gets a
 * call of the demo server's whoami, then an answer quoting the tool's output.
 */
function whoamiModel(layout: Layout) {
  return (ctx: ModelTurnContext): ModelAction => {
    const session = PROMPT.exec(ctx.userText ?? '')?.[1];
    if (session === undefined) return { type: 'message', text: 'Whoami check' };
    if (ctx.answersToolCall) {
      const saw = ctx.lastToolOutput?.includes(layout.mcp.marker) ? layout.mcp.marker : 'no marker';
      return { type: 'message', text: `whoami answered session ${session}: ${saw}` };
    }
    const offered = ctx.tools.some((tool) => tool.type === 'namespace' && tool.name === 'mcp__demo');
    if (!offered) return { type: 'message', text: `whoami was not offered in session ${session}` };
    return { type: 'call-mcp-tool', server: 'demo', tool: 'whoami' };
  };
}

function toolCalls(layout: Layout) {
  return layout.mcp.requests.filter((request) => request.rpcMethod === 'tools/call');
}

describe('the Codex TUI under tmux (driver smoke test)', () => {
  let layout: Layout;
  let model: ModelServer;
  let home: TuiHome;
  let token: string;

  before(async () => {
    layout = await startLayout();
    model = await startModelServer(whoamiModel(layout));
    const login = await runCli(layout.sandbox, ['login', 'demo'], { env: { BROWSER: layout.browser() } });
    assert.equal(login.code, 0, login.stderr);
    token = storedState(layout.sandbox)!.grant!.tokens.accessToken;
    home = createTuiHome(layout.sandbox, { env: { BROWSER: layout.browser() } });
    home.writeConfig({
      modelBaseUrl: model.baseUrl,
      extraToml: `[mcp_servers.demo]
url = "${layout.mcp.url}"
bearer_token_env_var = "${TOKEN_VARIABLE}"
default_tools_approval_mode = "approve"`,
    });
  });

  after(async () => {
    try {
      if (home) {
        await home.close();
        assert.deepEqual(home.processes(), [], 'no process of the home is left (background server, updater, tmux)');
        assert.equal(existsSync(home.root), false, 'the temp home is deleted');
      }
    } finally {
      await model?.close();
      await layout?.close();
    }
  });

  /** One prompt that makes Codex call whoami; returns the session's warnings and its exit. */
  async function callWhoami(t: TestContext, session: TuiSession, name: string) {
    const callsBefore = toolCalls(layout).length;
    await session.submitPrompt(`call whoami (session ${name})`);
    const screen = await session.waitFor(`whoami answered session ${name}: ${layout.mcp.marker}`);
    assert.deepEqual(
      toolCalls(layout).slice(callsBefore).map((call) => [call.tokenOk, call.status]),
      [[true, 200]],
      'the MCP server got one tools/call, with a token it accepted',
    );
    const warnings = await session.warnings();
    const exit = await session.quit();
    assert.equal(exit.code, 0, exit.text);
    assertNoSecrets([screen, exit.text, ...warnings.map((warning) => warning.text)], [token]);
    t.diagnostic(`session ${name}: composer ready after ${session.timings.composerReadyMs} ms, whole session ${session.timings.sessionMs} ms`);
    return { warnings, exit };
  }

  it('two plain codex sessions share one background server, and both call the MCP tool with a valid token', { timeout: 120_000 }, async (t) => {
    const first = await startTui({ home, via: 'plain', env: { [TOKEN_VARIABLE]: token } });
    const environment = await first.shellEnvironment();
    const shellAdded = Object.keys(environment).filter((name) => !(name in home.env) && name !== TOKEN_VARIABLE);
    assert.deepEqual(shellAdded.sort(), ['PWD', 'SHLVL'], 'the shell sees the given environment, plus what shells set themselves');
    assert.equal(environment[TOKEN_VARIABLE], token);

    const one = await callWhoami(t, first, '1');
    assert.equal(one.warnings.filter(isEmbeddedModeWarning).length, 0, JSON.stringify(one.warnings));
    assert.equal(sessionMode(one.exit, one.warnings), 'background-server');
    const server = home.backgroundServerPid();
    assert.ok(server !== undefined && isRunning(server), 'the background server outlives the TUI');

    const second = await startTui({ home, via: 'plain', env: { [TOKEN_VARIABLE]: token } });
    await second.waitForComposer();
    assert.equal(home.backgroundServerPid(), server, 'the second session attaches to the same background server');
    const two = await callWhoami(t, second, '2');
    assert.equal(two.warnings.filter(isEmbeddedModeWarning).length, 0, JSON.stringify(two.warnings));
    assert.equal(sessionMode(two.exit, two.warnings), 'background-server');
    const servers = home.processes().filter((info) => info.command.includes('--managed-daemon'));
    assert.deepEqual(servers.map((info) => info.pid), [server], 'one background server for the home');
  });

  it('a -c override makes codex run embedded: the warnings list shows it and the exit text says so', { timeout: 120_000 }, async (t) => {
    const session = await startTui({ home, via: 'plain', args: ['-c', 'model="fake-model"'], env: { [TOKEN_VARIABLE]: token } });
    const { warnings, exit } = await callWhoami(t, session, 'embedded');
    assert.equal(warnings.filter(isEmbeddedModeWarning).length, 1, JSON.stringify(warnings));
    assert.equal(sessionMode(exit, warnings), 'embedded');
  });
});
