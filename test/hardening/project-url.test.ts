// Issue 18: a token goes only to the server it was issued for, as Codex uses it in that directory.
// After a login in a trusted project, the project's `.codex/config.toml` (committed, so a
// teammate's commit or a hostile pull request can change it) points the entry at another server.
// Inside the project Codex then uses that url, so the header helper (run in the thread's
// directory) and `run` must give no token; outside the project nothing changed.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { execa } from 'execa';
import { codexBin } from '../peers/model-server.ts';
import { callThenAnswer, startCodexLayout, toolCalls } from '../e2e/codex-fixtures.ts';
import { helperLine, runAsCodex } from '../e2e/fixtures.ts';
import { CLI, createSandbox, exitStatus, runCli, type Sandbox } from '../e2e/harness.ts';
import { commitServer, makeProject, trustToml, type Project } from '../e2e/project-fixtures.ts';
import { makeCallbackBrowser, startHostileServer, type HostileServer } from './hostile-server.ts';

/** Every Authorization header the server's MCP endpoint was sent. */
function recordAuthorization(server: HostileServer): string[] {
  const seen: string[] = [];
  server.use({
    mcp: ({ req, res, origin }) => {
      if (req.headers.authorization) seen.push(req.headers.authorization);
      res.writeHead(401, { 'www-authenticate': `Bearer resource_metadata="${origin}/.well-known/oauth-protected-resource/mcp"` }).end();
    },
  });
  return seen;
}

/** Logged in to `demo` from the trusted project, which defines it at `server`'s url; the helper line login wrote. */
async function loggedInFromProject(sandbox: Sandbox, server: HostileServer): Promise<{ project: Project; helper: string }> {
  const project = commitServer(join(sandbox.root, 'repo'), server.mcpUrl);
  sandbox.writeConfig(trustToml(project.dir));
  const login = await runCli(sandbox, ['login', 'demo'], { cwd: project.dir, env: { BROWSER: makeCallbackBrowser(sandbox.root) } });
  assert.equal(login.code, 0, login.stderr);
  return { project, helper: helperLine(sandbox) };
}

function pointProjectAt(project: Project, from: string, to: string): void {
  writeFileSync(project.configFile, readFileSync(project.configFile, 'utf8').replace(from, to));
}

/** A sandbox and two servers (each its own authorization server), all gone after `body`. */
async function withTwoServers(body: (sandbox: Sandbox, first: HostileServer, second: HostileServer) => Promise<void>): Promise<void> {
  const [first, second] = await Promise.all([startHostileServer(), startHostileServer()]);
  const sandbox = createSandbox();
  try {
    await body(sandbox, first, second);
  } finally {
    await Promise.all([first.close(), second.close()]);
    sandbox.cleanup();
  }
}

const bearer = (stdout: string) => (JSON.parse(stdout) as { Authorization: string }).Authorization.replace(/^Bearer /, '');
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('a project file that points a logged-in entry at another server', () => {
  it('the header helper run in the project gives no token and says what changed; outside the project it still works', () =>
    withTwoServers(async (sandbox, issuer, other) => {
      const { project, helper } = await loggedInFromProject(sandbox, issuer);
      const before = await runAsCodex(sandbox, helper, project.dir);
      assert.equal(before.code, 0, before.stderr);
      const token = bearer(before.stdout);
      assert.ok(issuer.secrets.has(token), 'the project gets the token of the server it was issued by');

      pointProjectAt(project, issuer.mcpUrl, other.mcpUrl);
      const after = await runAsCodex(sandbox, helper, project.dir);
      assert.equal(after.code, 11, after.stderr);
      assert.equal(after.stdout, '', 'no token');
      assert.match(after.stderr, new RegExp(`^codex-auth: demo: ${escape(project.configFile)} gives it the url ${escape(other.mcpUrl)}, but codex-auth logged in to ${escape(issuer.mcpUrl)}; the token is not sent to another server; next: check the url in ${escape(project.configFile)}; if ${escape(other.mcpUrl)} is the server to use, run codex-auth login demo in ${escape(project.dir)}\n$`));
      const status = JSON.parse((await runCli(sandbox, ['status', '--json'])).stdout) as { servers: Array<{ name: string; helperFailure?: { exitCode: number } }> };
      assert.equal(status.servers.find((server) => server.name === 'demo')?.helperFailure?.exitCode, 11, 'the failure is kept for status');

      const elsewhere = join(sandbox.root, 'elsewhere');
      mkdirSync(elsewhere);
      const outside = await runAsCodex(sandbox, helper, elsewhere);
      assert.equal(outside.code, 0, outside.stderr);
      // Asked again within a minute, the helper checks the token with its server (this one refuses every token) and refreshes it there.
      assert.ok(issuer.secrets.has(bearer(outside.stdout)), 'outside the project the user-level url stands: a token of the server that issued it');
      assert.deepEqual(other.paths, [], 'the other server was never contacted');
    }));

  it('the helper\'s remembered answer does not outlive a change: a new layer file in a subdirectory, or a same-length edit with its old modification time', () =>
    withTwoServers(async (sandbox, issuer, other) => {
      const { project, helper } = await loggedInFromProject(sandbox, issuer);
      const deep = join(project.dir, 'src', 'deep');
      mkdirSync(deep, { recursive: true });
      assert.equal((await runAsCodex(sandbox, helper, deep)).code, 0, 'remembered for this directory');
      // A deeper directory's file wins over the project root's (Codex merges from the root down).
      mkdirSync(join(deep, '.codex'));
      writeFileSync(join(deep, '.codex', 'config.toml'), `[mcp_servers.demo]\nurl = "${other.mcpUrl}"\n`);
      const layered = await runAsCodex(sandbox, helper, deep);
      assert.equal(layered.code, 11, 'a layer file that was not there is noticed');
      assert.equal(layered.stdout, '');

      assert.equal((await runAsCodex(sandbox, helper, project.dir)).code, 0, 'remembered for the project root');
      const moved = issuer.mcpUrl.replace('127.0.0.1', '127.0.0.2');
      assert.equal(moved.length, issuer.mcpUrl.length);
      const reference = join(sandbox.root, 'mtime-reference');
      writeFileSync(reference, '');
      await execa('touch', ['-r', project.configFile, reference]);
      pointProjectAt(project, issuer.mcpUrl, moved);
      await execa('touch', ['-r', reference, project.configFile]);
      const edited = await runAsCodex(sandbox, helper, project.dir);
      assert.equal(edited.code, 11, 'a same-length edit with the old modification time is noticed');
      assert.equal(edited.stdout, '');
      assert.deepEqual(other.paths, []);
    }));

  it('logging in again in the project after checking the new url: the table login added follows it, the helper works in and outside the project, and unpatch still gives back the config as before', () =>
    withTwoServers(async (sandbox, issuer, other) => {
      const { project, helper } = await loggedInFromProject(sandbox, issuer);
      const beforeLogin = trustToml(project.dir);
      pointProjectAt(project, issuer.mcpUrl, other.mcpUrl);
      const again = await runCli(sandbox, ['login', 'demo'], { cwd: project.dir, env: { BROWSER: makeCallbackBrowser(sandbox.root) } });
      assert.equal(again.code, 0, again.stderr);
      assert.ok(again.stderr.includes(`demo: ${project.configFile} gives it the url ${other.mcpUrl}; the [mcp_servers.demo] table login added to ${sandbox.configPath} now says the same`), again.stderr);
      const elsewhere = join(sandbox.root, 'elsewhere');
      mkdirSync(elsewhere);
      for (const cwd of [project.dir, elsewhere]) {
        const result = await runAsCodex(sandbox, helper, cwd);
        assert.equal(result.code, 0, result.stderr);
        assert.ok(other.secrets.has(bearer(result.stdout)), `a token of the server the project names now, in ${cwd}`);
      }
      assert.equal((await runCli(sandbox, ['unpatch', 'demo'], { cwd: project.dir })).code, 0);
      assert.equal(sandbox.readConfig(), beforeLogin, 'the followed table is still login\'s own, and goes as a whole');
    }));

  it('a table of the person\'s own is not changed to follow the project: login says that outside the project the helper gives no token', () =>
    withTwoServers(async (sandbox, own, projects) => {
      const project = commitServer(join(sandbox.root, 'repo'), projects.mcpUrl);
      sandbox.writeConfig(`${trustToml(project.dir)}\n[mcp_servers.demo]\nurl = "${own.mcpUrl}"\n`);
      const login = await runCli(sandbox, ['login', 'demo'], { cwd: project.dir, env: { BROWSER: makeCallbackBrowser(sandbox.root) } });
      assert.equal(login.code, 0, login.stderr);
      assert.ok(login.stderr.includes(`demo: ${sandbox.configPath} keeps the url ${own.mcpUrl} for it (codex-auth did not add that table), so outside the project codex-auth gives Codex no token for it`), login.stderr);
      assert.match(sandbox.readConfig(), new RegExp(`url = "${escape(own.mcpUrl)}"`));
      const outside = await runAsCodex(sandbox, helperLine(sandbox));
      assert.equal(outside.code, 11, 'outside the project the entry names another server than the login is for');
      assert.equal(outside.stdout, '');
      assert.deepEqual(own.paths, [], 'and that server was never contacted');
    }));

  it('run in the project passes no token to the command and says which file changed the url', () =>
    withTwoServers(async (sandbox, issuer, other) => {
      const { project } = await loggedInFromProject(sandbox, issuer);
      const seen = join(sandbox.root, 'vars.json');
      const record = [process.execPath, '-e', "require('node:fs').writeFileSync(process.argv[1], JSON.stringify(Object.keys(process.env).filter((name) => /^CODEX_AUTH_.*_TOKEN/.test(name))))", seen];
      const before = await runCli(sandbox, ['run', '--', ...record], { cwd: project.dir });
      assert.equal(before.code, 0, before.stderr);
      assert.deepEqual(JSON.parse(readFileSync(seen, 'utf8')), ['CODEX_AUTH_DEMO_TOKEN'], 'a command run in the project gets the token');

      pointProjectAt(project, issuer.mcpUrl, other.mcpUrl);
      const after = await runCli(sandbox, ['run', '--', ...record], { cwd: project.dir });
      assert.equal(after.code, 0, after.stderr);
      assert.deepEqual(JSON.parse(readFileSync(seen, 'utf8')), [], 'no token variable reached the command');
      assert.match(after.stderr, new RegExp(`demo: ${escape(project.configFile)} gives it the url ${escape(other.mcpUrl)}, but codex-auth logged in to ${escape(issuer.mcpUrl)}; .*Codex will start without it\\. Fix: check the url in`));
      const strict = await runCli(sandbox, ['run', '--strict', '--', ...record], { cwd: project.dir });
      assert.equal(strict.code, 11, '--strict refuses to start');
      assert.match(strict.stderr, /next: check the url in/);
      assert.deepEqual(other.paths, []);
    }));

  it('with the real Codex 0.171, codex exec in the project (plain, and through run) never sends the token to the other server', { timeout: 300_000 }, async () => {
    const layout = await startCodexLayout({}, [callThenAnswer, callThenAnswer, callThenAnswer]);
    const other = await startHostileServer();
    const sentToOther = recordAuthorization(other);
    try {
      const project = makeProject(layout.sandbox.root, layout.sandbox.codexHome, layout.mcp.url, { trusted: true, modelBaseUrl: layout.model.baseUrl });
      const login = await runCli(layout.sandbox, ['login', 'demo'], { cwd: project.dir, env: { BROWSER: layout.browser() } });
      assert.equal(login.code, 0, login.stderr);
      const env = { ...layout.sandbox.env, FAKE_API_KEY: 'x' };
      const exec = async (command: string[]) => {
        const result = await execa(command[0]!, command.slice(1), { cwd: project.dir, env, extendEnv: false, reject: false, timeout: 120_000, stdin: 'ignore' });
        return { code: exitStatus(result), stdout: String(result.stdout), stderr: String(result.stderr) };
      };
      const working = await exec([codexBin('latest'), 'exec', 'call whoami']);
      assert.equal(working.code, 0, working.stderr);
      assert.deepEqual(toolCalls(layout).map((call) => call.tokenOk), [true], 'the project\'s server works after login');

      pointProjectAt(project, layout.mcp.url, other.mcpUrl);
      const plain = await exec([codexBin('latest'), 'exec', 'call whoami']);
      assert.notEqual(plain.code, 0, 'the required server fails to start without its token');
      assert.match(plain.stderr, /headers helper exited with status exit status: 11/, 'because the helper refused');
      const viaRun = await exec([process.execPath, CLI, 'run', '--', 'codex', 'exec', 'call whoami']);
      assert.notEqual(viaRun.code, 0);
      assert.match(viaRun.stderr, /gives it the url .*, but codex-auth logged in to /);
      assert.deepEqual(sentToOther, [], 'the other server saw no Authorization header at all');
      assert.equal(toolCalls(layout).length, 1, 'and nothing more reached the first server');
    } finally {
      await other.close();
      await layout.close();
    }
  });
});
