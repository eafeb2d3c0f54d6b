// A server the team committed to the repository's `.codex/config.toml` (a trusted project), with
// the real Codex 0.171: codex-auth sees it from the project, logs in to it, and wires it so that
// `codex exec` in the project calls the tool with a valid token while Codex still starts outside
// the project and the committed file stays byte for byte what the team wrote.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { execa } from 'execa';
import TOML from '@iarna/toml';
import { codexBin, startModelServer } from '../peers/model-server.ts';
import { createTuiHome, isEmbeddedModeWarning, startTui, whoamiModel } from '../peers/tui.ts';
import { asUnprivileged, startLayout, withLayout, type Layout } from './fixtures.ts';
import { exitStatus, runCli } from './harness.ts';
import { callThenAnswer, startCodexLayout, toolCalls, type CodexLayout } from './codex-fixtures.ts';
import { commitServer, makeProject as makeProjectAt, trustToml, type Project } from './project-fixtures.ts';

/** The project at `<sandbox>/repo`, trusted or not, for the layout's MCP server. */
function makeProject(layout: CodexLayout, options: { trusted: boolean }): Project {
  return makeProjectAt(layout.sandbox.root, layout.sandbox.codexHome, layout.mcp.url, { ...options, modelBaseUrl: layout.model.baseUrl });
}

async function codex(layout: CodexLayout, cwd: string, args: string[]) {
  const result = await execa(codexBin('latest'), args, { cwd, env: { ...layout.sandbox.env, FAKE_API_KEY: 'x' }, extendEnv: false, reject: false, timeout: 120_000, stdin: 'ignore' });
  return { code: exitStatus(result), stdout: String(result.stdout), stderr: String(result.stderr) };
}

describe('a project-scoped server (.codex/config.toml of a trusted project, Codex 0.171)', () => {
  it('login from a subdirectory of the project sees it, logs in, and codex exec there calls the tool; outside the project Codex still starts; the committed file is untouched', { timeout: 300_000 }, async () => {
    const layout = await startCodexLayout({}, [callThenAnswer, callThenAnswer]);
    try {
      const project = makeProject(layout, { trusted: true });
      const inProject = join(project.dir, 'src', 'deep');
      const login = await runCli(layout.sandbox, ['login', 'demo'], { cwd: inProject, env: { BROWSER: layout.browser() } });
      assert.equal(login.code, 0, login.stderr);
      assert.match(login.stderr, new RegExp(`demo: defined in ${project.configFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}; its url is now also in`));
      assert.equal(readFileSync(project.configFile, 'utf8'), project.committed, 'the committed file is byte for byte the same');
      const user = TOML.parse(layout.sandbox.readConfig()) as { mcp_servers: Record<string, Record<string, unknown>> };
      assert.equal(user.mcp_servers.demo?.url, layout.mcp.url, 'the user-level entry has a transport of its own');
      assert.match(String(user.mcp_servers.demo?.http_headers_helper), / headers demo /, 'and the helper line');

      const exec = await codex(layout, inProject, ['exec', 'call whoami']);
      assert.equal(exec.code, 0, exec.stderr);
      assert.ok(exec.stdout.includes(layout.mcp.marker), 'Codex printed the tool answer');
      assert.deepEqual(toolCalls(layout).map((call) => [call.tokenOk, call.status]), [[true, 200]]);

      const elsewhere = join(layout.sandbox.root, 'elsewhere');
      mkdirSync(elsewhere);
      const listed = await codex(layout, elsewhere, ['mcp', 'list', '--json']);
      assert.equal(listed.code, 0, `Codex starts outside the project: ${listed.stderr}`);
      assert.deepEqual((JSON.parse(listed.stdout) as Array<{ name: string }>).map((server) => server.name), ['demo']);

      const status = await runCli(layout.sandbox, ['status', '--json'], { cwd: inProject });
      const servers = (JSON.parse(status.stdout) as { servers: Array<{ name: string; source?: string }> }).servers;
      assert.equal(servers.find((server) => server.name === 'demo')?.source, project.configFile, 'status names where the entry comes from');
    } finally {
      await layout.close();
    }
  });

  it('a plain login in the project reaches its servers too; one that needs no authorization leaves the user config as it was', async () => {
    const layout = await startCodexLayout({ mcp: { open: true } }, [callThenAnswer]);
    try {
      const project = makeProject(layout, { trusted: true });
      const before = layout.sandbox.readConfig();
      const login = await runCli(layout.sandbox, ['login'], { cwd: project.dir, env: { BROWSER: layout.browser() } });
      assert.equal(login.code, 0, login.stderr);
      assert.match(login.stderr, /demo: needs no authorization, nothing to do/);
      assert.equal(layout.sandbox.readConfig(), before, 'no entry added for a server that needs no token');
      assert.equal(readFileSync(project.configFile, 'utf8'), project.committed);
    } finally {
      await layout.close();
    }
  });

  it('an untrusted project is not read, as Codex does not read it: login says so and how to trust it, and writes nothing', async () => {
    const layout = await startCodexLayout({}, [callThenAnswer]);
    try {
      const project = makeProject(layout, { trusted: false });
      const before = layout.sandbox.readConfig();
      const login = await runCli(layout.sandbox, ['login', 'demo'], { cwd: project.dir, env: { BROWSER: layout.browser() } });
      assert.equal(login.code, 3, login.stderr);
      assert.match(login.stderr, /error: demo: reading config: "demo" is defined in \S+\/repo\/\.codex\/config\.toml, but Codex does not read that file: the project \S+\/repo is not trusted/);
      assert.match(login.stderr, /next: trust it .*trust_level = "trusted"/);
      assert.equal(layout.sandbox.readConfig(), before, 'nothing written');
      const listed = await codex(layout, project.dir, ['mcp', 'list', '--json']);
      assert.deepEqual(JSON.parse(listed.stdout), [], 'Codex does not read it either');
    } finally {
      await layout.close();
    }
  });
});

describe('a project-scoped server in the interactive TUI (Codex 0.171 under tmux, on its background server)', () => {
  it('after login in the project, a plain codex session there calls the tool with a valid token, not embedded', { timeout: 240_000 }, async () => {
    const layout = await startLayout();
    const model = await startModelServer(whoamiModel(layout));
    const home = createTuiHome(layout.sandbox, { env: { BROWSER: layout.browser() } });
    try {
      home.writeConfig({ modelBaseUrl: model.baseUrl });
      const project = commitServer(home.workDir, layout.mcp.url);
      const login = await runCli(layout.sandbox, ['login', 'demo'], { cwd: home.workDir, env: { BROWSER: layout.browser() } });
      assert.equal(login.code, 0, login.stderr);
      assert.equal(readFileSync(project.configFile, 'utf8'), project.committed);
      const session = await startTui({ home, via: 'plain' });
      await session.submitPrompt('call whoami (session project)');
      await session.waitFor(`whoami answered session project: ${layout.mcp.marker}`, { timeoutMs: 60_000 });
      assert.deepEqual(toolCalls(layout).map((call) => [call.tokenOk, call.status]), [[true, 200]]);
      const warnings = await session.warnings();
      assert.deepEqual(warnings.filter(isEmbeddedModeWarning), [], 'the session ran on the background server');
      assert.equal((await session.quit()).code, 0);
    } finally {
      await home.close();
      await model.close();
      await layout.close();
    }
  });
});

/** A trusted project defining `demo`, and the user's own config (with comments) that does not; returns that config's text. */
function userConfigAndProject(layout: Layout): { project: Project; before: string } {
  const project = commitServer(join(layout.sandbox.root, 'repo'), layout.mcp.url);
  const before = `# my codex config\nmodel = "gpt-5" # mine\n\n${trustToml(project.dir)}`;
  layout.sandbox.writeConfig(before);
  return { project, before };
}

async function loginInProject(layout: Layout, project: Project): Promise<void> {
  const login = await runCli(layout.sandbox, ['login', 'demo'], { cwd: project.dir, env: { BROWSER: layout.browser() } });
  assert.equal(login.code, 0, login.stderr);
  assert.notEqual(layout.sandbox.readConfig(), readFileSync(project.configFile, 'utf8'));
}

describe('unpatch and logout of a project\'s server, run in the project', () => {
  it('unpatch takes out the whole table login appended, so config.toml is byte for byte what it was, and names the project file', async () => {
    await withLayout({}, async (layout) => {
      const { project, before } = userConfigAndProject(layout);
      await loginInProject(layout, project);
      // A later login rewires the entry: the record of what was appended must survive it.
      const again = await runCli(layout.sandbox, ['login', 'demo', '--force'], { cwd: project.dir, env: { BROWSER: layout.browser() } });
      assert.equal(again.code, 0, again.stderr);
      const unpatch = await runCli(layout.sandbox, ['unpatch', 'demo', '--json'], { cwd: project.dir });
      assert.equal(unpatch.code, 0, unpatch.stderr);
      assert.match(unpatch.stderr, /demo: entry restored; the \[mcp_servers\.demo\] table login added is removed, so Codex reads config\.toml as before that login\n/);
      assert.ok(unpatch.stderr.split('\n').includes(`  from: ${project.configFile}`), unpatch.stderr);
      const { backup: _backup, ...reported } = JSON.parse(unpatch.stdout) as Record<string, unknown>;
      assert.deepEqual(reported, { restored: ['demo'], removedTables: ['demo'], sources: { demo: project.configFile } });
      assert.equal(layout.sandbox.readConfig(), before, 'config.toml as before the login');
      assert.equal(readFileSync(project.configFile, 'utf8'), project.committed);
      const status = await runCli(layout.sandbox, ['status', '--json'], { cwd: project.dir });
      const demo = (JSON.parse(status.stdout) as { servers: Array<{ name: string; loggedIn?: boolean; source?: string }> }).servers.find((server) => server.name === 'demo');
      assert.equal(demo?.source, project.configFile, 'the login is kept; the project still defines the server');
    });
  });

  it('a login in the project whose wiring fails leaves config.toml byte for byte, never a table without its record; the next login adds both', async () => {
    await withLayout({}, async (layout) => {
      const { project, before } = userConfigAndProject(layout);
      await loginInProject(layout, project);
      assert.equal((await runCli(layout.sandbox, ['unpatch', 'demo'], { cwd: project.dir })).code, 0);
      assert.equal(layout.sandbox.readConfig(), before);
      const uid = asUnprivileged(layout);
      const cli = (args: string[]) => runCli(layout.sandbox, args, { cwd: project.dir, ...(uid === undefined ? {} : { uid }) });
      // Logged in but not wired: a plain login wires it without a browser, and its record cannot be saved.
      const servers = join(layout.sandbox.stateDir, 'servers');
      chmodSync(servers, 0o500); // private, so codex-auth leaves the mode alone, and read-only
      const failed = await cli(['login']);
      assert.equal(failed.code, 9, failed.stderr);
      assert.match(failed.stderr, /^error: demo: .*logged in \(the tokens are kept\), but the config entry is not wired up/m);
      assert.equal(layout.sandbox.readConfig(), before, 'no table appended without its record');

      chmodSync(servers, 0o700);
      const finished = await cli(['login']);
      assert.equal(finished.code, 0, finished.stderr);
      assert.notEqual(layout.sandbox.readConfig(), before);
      assert.equal((await cli(['unpatch', 'demo'])).code, 0);
      assert.equal(layout.sandbox.readConfig(), before, 'unpatch knew the table login added');
    });
  });

  it('logout in the project does the same after revoking, and says where the server comes from', async () => {
    await withLayout({}, async (layout) => {
      const { project, before } = userConfigAndProject(layout);
      await loginInProject(layout, project);
      const logout = await runCli(layout.sandbox, ['logout', 'demo', '--json'], { cwd: project.dir });
      assert.equal(logout.code, 0, logout.stderr);
      assert.match(logout.stderr, /demo: logged out.*; the \[mcp_servers\.demo\] table login added is removed/);
      assert.ok(logout.stderr.split('\n').includes(`  from: ${project.configFile}`), logout.stderr);
      assert.equal((JSON.parse(logout.stdout) as { servers: Array<{ source?: string }> }).servers[0]?.source, project.configFile);
      assert.equal(layout.sandbox.readConfig(), before);
    });
  });

  it('a table edited since login keeps everything but the wiring, and unpatch says why; a wiring line it cannot verify leaves the file byte for byte', async () => {
    await withLayout({}, async (layout) => {
      const { project, before } = userConfigAndProject(layout);
      await loginInProject(layout, project);
      const wired = layout.sandbox.readConfig();
      const added = wired.slice(before.length);
      layout.sandbox.writeConfig(`${wired}enabled = false\n`);
      const unpatch = await runCli(layout.sandbox, ['unpatch', 'demo'], { cwd: project.dir });
      assert.equal(unpatch.code, 0, unpatch.stderr);
      assert.match(unpatch.stderr, /demo: entry restored; the \[mcp_servers\.demo\] table login added stays, because it holds more than login added \(Codex keeps the server outside the project too; delete the table by hand/);
      const withoutHelper = added.replace(/^http_headers_helper = .*\n/m, '');
      assert.notEqual(withoutHelper, added);
      assert.equal(layout.sandbox.readConfig(), `${before}${withoutHelper}enabled = false\n`, 'only the wiring line went');

      // Again with a comment on the helper line: that line is not removed, so nothing is.
      layout.sandbox.writeConfig(before);
      await loginInProject(layout, project);
      const commented = layout.sandbox.readConfig().replace(/^(http_headers_helper = .*)$/m, '$1 # mine now');
      layout.sandbox.writeConfig(commented);
      const refused = await runCli(layout.sandbox, ['unpatch', 'demo'], { cwd: project.dir });
      assert.notEqual(refused.code, 0);
      assert.match(refused.stderr, /holds more than that key/);
      assert.equal(layout.sandbox.readConfig(), commented, 'byte for byte');
    });
  });
});
