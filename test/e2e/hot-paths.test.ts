// What the two commands Codex users pay for on every launch and every new thread load: the
// alias's `run` and the header helper. Timings belong to `npm run bench`; this guards the
// structure those timings rest on (each dependency loads only on the path that needs it).
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { execa } from 'execa';
import { CLI, runCli, type Sandbox } from './harness.ts';
import { forgetLastHandout, helperLine, withLayout } from './fixtures.ts';
import { commitServer, trustToml } from './project-fixtures.ts';

const RECORDER = new URL('../peers/module-recorder.mjs', import.meta.url).href;
/** esbuild marks each bundled package with a `// node_modules/<package>/…` line. */
const PACKAGES = ['yargs', '@iarna/toml', '@decimalturn/toml-patch', 'oauth4webapi', 'execa', 'conf', 'proper-lockfile'];

/** The packages of the bundle that a command line loaded, read from the chunks it loaded. */
async function packagesLoaded(sandbox: Sandbox, command: string[], cwd?: string): Promise<Set<string>> {
  const log = join(sandbox.root, `modules-${Date.now()}.log`);
  writeFileSync(log, '');
  const result = await execa(command[0]!, command.slice(1), {
    env: { ...sandbox.env, NODE_OPTIONS: `--import ${RECORDER}`, CODEX_AUTH_TEST_MODULE_LOG: log },
    extendEnv: false,
    reject: false,
    stdin: 'ignore',
    ...(cwd ? { cwd } : {}),
  });
  assert.equal(result.exitCode, 0, String(result.stderr));
  const chunks = readFileSync(log, 'utf8').split('\n').filter((url) => url.includes('/dist/'));
  assert.ok(chunks.length > 0, 'the recorder saw the bundle load');
  const text = chunks.map((url) => readFileSync(fileURLToPath(url), 'utf8')).join('\n');
  return new Set(PACKAGES.filter((name) => text.includes(`// node_modules/${name}/`)));
}

describe('hot paths load only what they use', () => {
  it('run -- true with a fresh token, and the header helper on a new thread', async () => {
    await withLayout({}, async (layout) => {
      const { sandbox } = layout;
      const login = await runCli(sandbox, ['login', 'demo'], { env: { BROWSER: layout.browser() } });
      assert.equal(login.code, 0, login.stderr);

      const run = await packagesLoaded(sandbox, [process.execPath, CLI, 'run', '--', 'true']);
      assert.deepEqual([...run].sort(), ['@iarna/toml', 'execa'], 'run reads config.toml and launches; no command-line parser, config editor or OAuth engine');

      const helper = ['sh', '-c', `exec ${helperLine(sandbox)}`];
      assert.equal((await execa(helper[0]!, helper.slice(1), { env: sandbox.env, extendEnv: false })).exitCode, 0);
      forgetLastHandout(sandbox);
      const newThread = await packagesLoaded(sandbox, helper);
      assert.deepEqual([...newThread], [], 'a new thread with a fresh token: no TOML parser (config.toml unchanged), no launcher, no OAuth engine');

      // In a trusted project that defines the server too: the project layers are checked by stat alone.
      const project = commitServer(join(sandbox.root, 'repo'), layout.mcp.url);
      sandbox.writeConfig(`${sandbox.readConfig()}\n${trustToml(project.dir)}`);
      assert.equal((await execa(helper[0]!, helper.slice(1), { env: sandbox.env, extendEnv: false, cwd: project.dir })).exitCode, 0);
      forgetLastHandout(sandbox);
      assert.deepEqual([...(await packagesLoaded(sandbox, helper, project.dir))], [], 'a new thread in the project: no TOML parser either');
    });
  });
});
