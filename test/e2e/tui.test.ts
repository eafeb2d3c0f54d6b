// The real interactive Codex TUI under tmux, with codex-auth's own wiring: the entry holds
// codex-auth's http_headers_helper. Codex 0.171.0's shared background server runs it for every new
// thread and after a 401; sessions started through the `codex` alias and as plain `codex` share that
// server; none of them runs embedded; tokens outlive neither a session nor a thread. Codex 0.150.1
// (no background server) runs the helper but refuses its Authorization: through `codex-auth run`
// it gets the session proxy instead.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, it, type TestContext } from 'node:test';
import { provideCodexRelease } from '../peers/codex-releases.ts';
import { codexBin, startModelServer, type ModelServer } from '../peers/model-server.ts';
import { createTuiHome, isEmbeddedModeWarning, isRunning, sessionMode, startTui, whoamiModel, type TuiHome, type TuiSession } from '../peers/tui.ts';
import { assertNoSecrets, runCli } from './harness.ts';
import { startLayout, storedState, type Layout, type LayoutOptions } from './fixtures.ts';

/** Short enough to expire within a test, long enough to outlast a background server's start. */
const TOKEN_LIFETIME_S = 30;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface TuiLayout {
  layout: Layout;
  model: ModelServer;
  home: TuiHome;
}

/** The servers, a TUI home whose config has the demo entry, and a login with the newest Codex on PATH: the entry gets codex-auth's helper. */
async function startTuiLayout(options: LayoutOptions, parts: Partial<TuiLayout>): Promise<TuiLayout> {
  const layout = (parts.layout = await startLayout(options));
  const model = (parts.model = await startModelServer(whoamiModel(layout)));
  const home = (parts.home = createTuiHome(layout.sandbox, { env: { BROWSER: layout.browser() } }));
  home.writeConfig({
    modelBaseUrl: model.baseUrl,
    extraToml: `[mcp_servers.demo]
url = "${layout.mcp.url}"
default_tools_approval_mode = "approve"`,
  });
  const login = await runCli(layout.sandbox, ['login', 'demo'], { env: { BROWSER: layout.browser() } });
  assert.equal(login.code, 0, login.stderr);
  assert.match(layout.sandbox.readConfig(), /\nhttp_headers_helper = .* headers demo /);
  return { layout, model, home };
}

/** Stops what startTuiLayout started (as far as it got); no process of the home may survive. */
async function closeTuiLayout({ layout, model, home }: Partial<TuiLayout>): Promise<void> {
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
}

describe('the Codex 0.171.0 TUI with codex-auth\'s header helper', () => {
  let layout: Layout;
  let home: TuiHome;
  const secrets: string[] = [];

  const toolCalls = () => layout.mcp.requests.filter((request) => request.rpcMethod === 'tools/call');
  const refreshes = () => layout.auth.tokenRequests('refresh_token').length;
  const currentToken = () => storedState(layout.sandbox)!.grant!.tokens;

  const parts: Partial<TuiLayout> = {};

  before(async () => {
    ({ layout, home } = await startTuiLayout({ auth: { accessTokenTtlSeconds: TOKEN_LIFETIME_S } }, parts));
  });

  after(() => closeTuiLayout(parts));

  /** One prompt that makes Codex call whoami, answered from the tool's output; returns the MCP requests it caused. */
  async function callWhoami(session: TuiSession, name: string) {
    const before = layout.mcp.requests.length;
    await session.submitPrompt(`call whoami (session ${name})`);
    const screen = await session.waitFor(`whoami answered session ${name}: ${layout.mcp.marker}`, { timeoutMs: 60_000 });
    secrets.push(currentToken().accessToken);
    assertNoSecrets([screen], secrets);
    return layout.mcp.requests.slice(before).filter((request) => request.rpcMethod === 'tools/call');
  }

  /** Quits, and checks the session ran on the background server and showed no embedded-mode warning. */
  async function endOnBackgroundServer(t: TestContext, session: TuiSession, name: string) {
    const warnings = await session.warnings();
    const exit = await session.quit();
    assert.equal(exit.code, 0, exit.text);
    assert.deepEqual(warnings.filter(isEmbeddedModeWarning), [], `session ${name} ran embedded: ${JSON.stringify(warnings)}`);
    assert.equal(sessionMode(exit, warnings), 'background-server');
    assertNoSecrets([exit.text, ...warnings.map((warning) => warning.text)], secrets);
    t.diagnostic(`session ${name}: composer ready after ${session.timings.composerReadyMs} ms, whole session ${session.timings.sessionMs} ms`);
  }

  async function waitUntilExpired(): Promise<void> {
    const { expiresAt } = currentToken();
    await sleep(Math.max(0, expiresAt! - Date.now()) + 1_500);
  }

  it('plain codex (no alias) starts the background server with no token in its environment, and the helper gives it one', { timeout: 180_000 }, async (t) => {
    const session = await startTui({ home, via: 'plain' });
    const calls = await callWhoami(session, 'plain');
    assert.deepEqual(calls.map((call) => [call.tokenOk, call.status]), [[true, 200]]);
    await endOnBackgroundServer(t, session, 'plain');
    const server = home.backgroundServerPid();
    assert.ok(server !== undefined && isRunning(server), 'the background server outlives the TUI');
    const status = JSON.parse((await runCli(layout.sandbox, ['status', '--json'])).stdout) as { codex: { backgroundServer?: { pid: number; staleVariables: string[] } } };
    assert.deepEqual(status.codex.backgroundServer, { pid: server, staleVariables: [] }, 'status sees the server, with no codex-auth variable in its environment');
  });

  it('two sessions through the alias, the second after the first token expired: both call the tool with a valid token, neither runs embedded', { timeout: 180_000 }, async (t) => {
    const server = home.backgroundServerPid();
    const first = await startTui({ home, via: 'alias' });
    assert.deepEqual((await callWhoami(first, 'alias-1')).map((call) => [call.tokenOk, call.status]), [[true, 200]]);
    await endOnBackgroundServer(t, first, 'alias-1');
    await waitUntilExpired();
    const refreshesBefore = refreshes();
    const second = await startTui({ home, via: 'alias' });
    assert.deepEqual((await callWhoami(second, 'alias-2')).map((call) => [call.tokenOk, call.status]), [[true, 200]]);
    await endOnBackgroundServer(t, second, 'alias-2');
    assert.equal(refreshes() - refreshesBefore, 1, 'the expired token was refreshed once, for the new thread');
    assert.equal(home.backgroundServerPid(), server, 'both attached to the one background server');
  });

  it('one thread outliving its token: the server answers 401, Codex asks the helper again, the call succeeds after one refresh', { timeout: 180_000 }, async (t) => {
    const session = await startTui({ home, via: 'alias' });
    assert.deepEqual((await callWhoami(session, 'long-1')).map((call) => [call.tokenOk, call.status]), [[true, 200]]);
    await waitUntilExpired();
    const refreshesBefore = refreshes();
    const later = await callWhoami(session, 'long-2');
    assert.deepEqual(later.map((call) => [call.tokenOk, call.status]), [[false, 401], [true, 200]], 'rejected once with the expired token, then accepted');
    assert.equal(refreshes() - refreshesBefore, 1);
    await endOnBackgroundServer(t, session, 'long');
  });

  it('codex mcp login through the alias runs codex-auth\'s login, in the same shell the TUI runs in', { timeout: 120_000 }, async () => {
    const session = await startTui({ home, via: 'alias', args: ['mcp', 'login', 'demo'] });
    const exit = await session.waitForExit(60_000);
    assert.equal(exit.code, 0, exit.text);
    assert.match(exit.text, /demo: logged in at .*; Codex asks codex-auth for it \(http_headers_helper\)/);
    assert.ok(currentToken().accessToken);
  });

  it('the embedded-mode detector works: a -c override on the TUI does show the warning', { timeout: 120_000 }, async () => {
    const session = await startTui({ home, via: 'plain', args: ['-c', 'model="fake-model"'] });
    await callWhoami(session, 'embedded');
    const warnings = await session.warnings();
    const exit = await session.quit();
    assert.equal(warnings.filter(isEmbeddedModeWarning).length, 1, JSON.stringify(warnings));
    assert.equal(sessionMode(exit, warnings), 'embedded');
    assert.equal(toolCalls().at(-1)?.tokenOk, true, 'the helper serves embedded sessions too');
  });
});

describe('the Codex 0.150.1 TUI through codex-auth run, on a config wired with the helper', () => {
  const parts: Partial<TuiLayout> = {};

  before(async () => {
    await provideCodexRelease('0.150.1');
    await startTuiLayout({}, parts);
  }, { timeout: 300_000 });

  after(() => closeTuiLayout(parts));

  it('through run the helper is replaced for the launch: the prompt gets the tool answer, the tool called with a valid token', { timeout: 180_000 }, async () => {
    const { layout, home } = parts as TuiLayout;
    const session = await startTui({ home, via: 'alias', env: { CODEX_AUTH_CODEX_BIN: codexBin('0.150') } });
    await session.submitPrompt('call whoami (session old)');
    const screen = await session.waitFor(`whoami answered session old: ${layout.mcp.marker}`, { timeoutMs: 60_000 });
    assert.deepEqual(layout.mcp.requests.filter((request) => request.rpcMethod === 'tools/call').map((call) => [call.tokenOk, call.status]), [[true, 200]]);
    const exit = await session.quit();
    assert.equal(exit.code, 0, exit.text);
    const secret = storedState(layout.sandbox)!.grant!.tokens.accessToken;
    assertNoSecrets([screen, exit.text], [secret]);
  });
});
