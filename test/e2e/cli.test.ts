// The CLI as a user meets it: bad input gets one clear line and a documented
// exit code with nothing changed; status, logout, unpatch and alias behave.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { codexBin } from '../peers/model-server.ts';
import { CLI, runCli, withSandbox } from './harness.ts';
import { startLayout, storedState } from './fixtures.ts';

const CONFIG = `# personal config
model = "gpt-5"

[mcp_servers.local]
command = "echo"
args = ["hi"]

[mcp_servers.remote]
url = "https://mcp.example.com/mcp"
`;

function assertOneClearError(stderr: string, pattern: RegExp) {
  assert.match(stderr, /^error: /m);
  assert.match(stderr, pattern);
  assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace');
}

describe('bad input: one clear line, a distinct exit code, nothing changed', () => {
  it('missing config.toml -> 3', async () => {
    await withSandbox(undefined, async (sandbox) => {
      const result = await runCli(sandbox, ['login', 'remote']);
      assert.equal(result.code, 3);
      assertOneClearError(result.stderr, /config\.toml/);
      assert.equal(existsSync(sandbox.configPath), false);
    });
  });

  it('invalid TOML -> 3 with line and column', async () => {
    await withSandbox('model = "x"\n[mcp_servers.a\nurl = 1\n', async (sandbox) => {
      const result = await runCli(sandbox, ['login']);
      assert.equal(result.code, 3);
      assertOneClearError(result.stderr, /line 2/);
      assert.equal(sandbox.readConfig(), 'model = "x"\n[mcp_servers.a\nurl = 1\n');
    });
  });

  it('unknown server name -> 3 listing the known ones', async () => {
    await withSandbox(CONFIG, async (sandbox) => {
      const result = await runCli(sandbox, ['login', 'nope']);
      assert.equal(result.code, 3);
      assertOneClearError(result.stderr, /nope/);
      assert.match(result.stderr, /remote/);
      assert.equal(sandbox.readConfig(), CONFIG);
    });
  });

  it('a stdio server named -> 3', async () => {
    await withSandbox(CONFIG, async (sandbox) => {
      const result = await runCli(sandbox, ['login', 'local']);
      assert.equal(result.code, 3);
      assertOneClearError(result.stderr, /stdio/);
      assert.equal(sandbox.readConfig(), CONFIG);
    });
  });

  it('codex not found -> 10', async () => {
    await withSandbox(CONFIG, async (sandbox) => {
      const result = await runCli(sandbox, ['run'], { env: { PATH: '/usr/bin:/bin' } });
      assert.equal(result.code, 10);
      assertOneClearError(result.stderr, /codex/);
    });
  });

  it('an unknown command -> 2', async () => {
    await withSandbox(CONFIG, async (sandbox) => {
      const result = await runCli(sandbox, ['logni']);
      assert.equal(result.code, 2);
      assert.match(result.stderr, /login/);
    });
  });

  it('an unusable state directory -> 9, config untouched', async () => {
    const layout = await startLayout();
    try {
      const before = layout.sandbox.readConfig();
      // A path below a regular file cannot be created, whoever runs the test (root included).
      const blocker = join(layout.sandbox.root, 'not-a-directory');
      writeFileSync(blocker, '');
      const result = await runCli(layout.sandbox, ['login', 'demo'], { env: { BROWSER: layout.browser(), CODEX_AUTH_HOME: join(blocker, 'state') } });
      assert.equal(result.code, 9);
      assertOneClearError(result.stderr, /not-a-directory/);
      assert.equal(layout.sandbox.readConfig(), before);
    } finally {
      await layout.close();
    }
  });

  it('an entry that cannot be rewritten verifiably -> 3 before any login, file byte-for-byte untouched', async () => {
    const layout = await startLayout();
    try {
      const nested = `model = "gpt-5"\nmcp_servers = { demo = { url = "${layout.mcp.url}" } }\n`;
      layout.sandbox.writeConfig(nested);
      const result = await runCli(layout.sandbox, ['login', 'demo'], { env: { BROWSER: layout.browser() } });
      assert.equal(result.code, 3);
      assertOneClearError(result.stderr, /own \[mcp_servers\.demo\] table/);
      assert.equal(layout.sandbox.readConfig(), nested);
      assert.equal(layout.auth.registrations().length, 0, 'refused before any OAuth step');
    } finally {
      await layout.close();
    }
  });
});

describe('status, logout, unpatch, alias', () => {
  it('status --json reports the login without any token, and text status too', async () => {
    const layout = await startLayout();
    try {
      assert.equal((await runCli(layout.sandbox, ['login', 'demo'], { env: { BROWSER: layout.browser() } })).code, 0);
      const json = await runCli(layout.sandbox, ['status', '--json']);
      assert.equal(json.code, 0);
      const report = JSON.parse(json.stdout) as { envFile: string; servers: Array<Record<string, unknown>> };
      const demo = report.servers.find((server) => server.name === 'demo')!;
      assert.equal(demo.loggedIn, true);
      assert.equal(demo.issuer, layout.auth.issuer);
      assert.equal(demo.audience, layout.mcp.resource);
      assert.equal(demo.envVar, 'CODEX_AUTH_DEMO_TOKEN');
      assert.equal(demo.rewritten, true);
      assert.ok(typeof demo.expiresInSeconds === 'number' && demo.expiresInSeconds > 0);
      assert.equal(report.servers.find((server) => server.name === 'local')?.transport, 'stdio');
      const token = storedState(layout.sandbox)!.grant!.tokens.accessToken;
      const text = await runCli(layout.sandbox, ['status']);
      for (const output of [json.stdout, text.stdout, text.stderr]) assert.ok(!output.includes(token));
      assert.match(text.stdout, /logged in/);
      assert.match(text.stdout, new RegExp(report.envFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
    } finally {
      await layout.close();
    }
  });

  it('with a Codex that predates the helper, the entry reads a variable, and the env file is 0600 and loadable by sh', async () => {
    const layout = await startLayout();
    try {
      assert.equal((await runCli(layout.sandbox, ['login', 'demo'], { env: { BROWSER: layout.browser(), CODEX_AUTH_CODEX_BIN: codexBin('0.130') } })).code, 0);
      assert.match(layout.sandbox.readConfig(), /\nbearer_token_env_var = "CODEX_AUTH_DEMO_TOKEN"\n/);
      assert.doesNotMatch(layout.sandbox.readConfig(), /http_headers_helper/);
      const envFile = join(layout.sandbox.stateDir, 'env');
      assert.equal(statSync(envFile).mode & 0o777, 0o600);
      assert.equal(statSync(layout.sandbox.stateDir).mode & 0o777, 0o700);
      const { execa } = await import('execa');
      const loaded = await execa('sh', ['-c', `set -a; . "${envFile}"; printf %s "$CODEX_AUTH_DEMO_TOKEN"`], { env: {}, extendEnv: false });
      assert.equal(loaded.stdout, storedState(layout.sandbox)!.grant!.tokens.accessToken);
    } finally {
      await layout.close();
    }
  });

  it('logout revokes at the server, forgets the tokens, removes the env line and restores the config bytes', async () => {
    const layout = await startLayout();
    try {
      const original = layout.sandbox.readConfig();
      assert.equal((await runCli(layout.sandbox, ['login', 'demo'], { env: { BROWSER: layout.browser() } })).code, 0);
      assert.notEqual(layout.sandbox.readConfig(), original);
      const result = await runCli(layout.sandbox, ['logout', 'demo']);
      assert.equal(result.code, 0, result.stderr);
      assert.ok(layout.auth.requests.some((request) => /revo/.test(request.path) && request.method === 'POST'), 'revocation endpoint called');
      assert.match(result.stderr, /tokens revoked at the server/);
      assert.doesNotMatch(result.stderr, /did not confirm/);
      assert.equal(storedState(layout.sandbox), undefined);
      assert.equal(layout.sandbox.readConfig(), original);
      const envFile = join(layout.sandbox.stateDir, 'env');
      assert.ok(!existsSync(envFile) || !readFileSync(envFile, 'utf8').includes('CODEX_AUTH_DEMO_TOKEN'), 'no token left in the env file');
    } finally {
      await layout.close();
    }
  });

  it('unpatch restores the exact bytes and keeps the login; a second login rewrite changes nothing', async () => {
    const layout = await startLayout();
    try {
      const original = layout.sandbox.readConfig();
      assert.equal((await runCli(layout.sandbox, ['login', 'demo'], { env: { BROWSER: layout.browser() } })).code, 0);
      const patched = layout.sandbox.readConfig();
      assert.equal(patched.split('\n').length, original.split('\n').length + 1, 'exactly one line added');
      assert.equal((await runCli(layout.sandbox, ['login', 'demo'], { env: { BROWSER: layout.browser() } })).code, 0);
      assert.equal(layout.sandbox.readConfig(), patched, 'idempotent');
      assert.equal(readFileSync(`${layout.sandbox.configPath}.codex-auth.bak`, 'utf8'), original, 'backup of the original');
      const result = await runCli(layout.sandbox, ['unpatch']);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(layout.sandbox.readConfig(), original);
      assert.ok(storedState(layout.sandbox)?.grant, 'login kept');
    } finally {
      await layout.close();
    }
  });

  it('an entry with the user\'s own bearer_token_env_var is left alone unless --force', async () => {
    const layout = await startLayout({ entryToml: 'bearer_token_env_var = "MY_OWN_TOKEN"' });
    try {
      const original = layout.sandbox.readConfig();
      const refused = await runCli(layout.sandbox, ['login', 'demo'], { env: { BROWSER: layout.browser() } });
      assert.equal(refused.code, 3);
      assert.match(refused.stderr, /--force/);
      assert.equal(layout.sandbox.readConfig(), original);
      const forced = await runCli(layout.sandbox, ['login', 'demo', '--force'], { env: { BROWSER: layout.browser() } });
      assert.equal(forced.code, 0, forced.stderr);
      assert.match(layout.sandbox.readConfig(), /\nhttp_headers_helper = .* headers demo .*\n/, 'the helper line stands where the user\'s line stood');
      assert.doesNotMatch(layout.sandbox.readConfig(), /bearer_token_env_var/, 'a variable would win over the helper');
      assert.equal((await runCli(layout.sandbox, ['unpatch', 'demo'])).code, 0);
      assert.equal(layout.sandbox.readConfig(), original, 'the user\'s own variable is back');
    } finally {
      await layout.close();
    }
  });

  it('status says when the codex on PATH runs the helper but refuses its Authorization (0.148 to 0.151): only launches through run work', async () => {
    await withSandbox(CONFIG, async (sandbox) => {
      // The version is read from the npm package next to codex.js; this one is never run.
      const pkg = join(sandbox.root, 'codex-0150', 'node_modules', '@openai', 'codex');
      mkdirSync(join(pkg, 'bin'), { recursive: true });
      writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: '@openai/codex', version: '0.150.1' }));
      writeFileSync(join(pkg, 'bin', 'codex.js'), '#!/usr/bin/env node\n', { mode: 0o755 });
      const bin = join(sandbox.root, 'bin');
      mkdirSync(bin);
      symlinkSync(join(pkg, 'bin', 'codex.js'), join(bin, 'codex'));
      const status = await runCli(sandbox, ['status', '--json'], { env: { PATH: `${bin}:${sandbox.env.PATH}` } });
      const codex = (JSON.parse(status.stdout) as { codex: { version: string; runsHelper: boolean; refusesHelper: boolean } }).codex;
      assert.deepEqual([codex.version, codex.runsHelper, codex.refusesHelper], ['0.150.1', false, true]);
      const current = JSON.parse((await runCli(sandbox, ['status', '--json'])).stdout) as { codex: { runsHelper: boolean; refusesHelper: boolean } };
      assert.deepEqual([current.codex.runsHelper, current.codex.refusesHelper], [true, false], 'the newest Codex');
    });
  });

  it('alias prints the line for each shell', async () => {
    await withSandbox(CONFIG, async (sandbox) => {
      // codex-auth on PATH, as after npm link: the alias names it by name.
      const bin = join(sandbox.root, 'bin');
      mkdirSync(bin);
      symlinkSync(CLI, join(bin, 'codex-auth'));
      sandbox.env.PATH = `${bin}:${sandbox.env.PATH ?? ''}`;
      for (const [shell, pattern] of [['bash', /alias codex='codex-auth run -- codex'/], ['zsh', /alias codex=/], ['fish', /alias codex 'codex-auth run -- codex'/]] as const) {
        const result = await runCli(sandbox, ['alias', '--shell', shell]);
        assert.equal(result.code, 0);
        assert.match(result.stdout, pattern);
      }
      const json = JSON.parse((await runCli(sandbox, ['alias', '--shell', 'zsh', '--json'])).stdout) as { file: string; neededForTokensBefore: string; adds: string[] };
      assert.equal(json.file, '~/.zshrc');
      assert.equal(json.neededForTokensBefore, '0.152.0');
      assert.ok(json.adds.some((addition) => /step-up/.test(addition)) && json.adds.some((addition) => /codex mcp login/.test(addition)));
      const told = await runCli(sandbox, ['alias', '--shell', 'bash']);
      assert.match(told.stderr, /With Codex 0\.152\.0 or later you do not need it for tokens/);
      assert.match(told.stderr, /long-lived session proxy .*codex exec/);
      assert.match(told.stderr, /about 100 ms to every codex launch/);
      assert.equal(told.stdout.trim(), "alias codex='codex-auth run -- codex'", 'stdout stays the line alone, for >> ~/.bashrc');
    });
  });

  it('--help has examples and the exit codes; NO_COLOR output has no escape codes', async () => {
    await withSandbox(CONFIG, async (sandbox) => {
      const help = await runCli(sandbox, ['login', '--help']);
      assert.equal(help.code, 0);
      assert.match(help.stdout, /Examples:/);
      const top = await runCli(sandbox, ['--help']);
      assert.match(top.stdout, /Exit codes:/);
      const status = await runCli(sandbox, ['status'], { env: { NO_COLOR: '1', FORCE_COLOR: undefined } });
      assert.doesNotMatch(status.stdout + status.stderr, /\u001b\[/);
    });
  });
});

describe('run without a usable login', () => {
  it('a server never logged in: a plain run says once how to log in and launches; --strict asks the server and stops with 11', async () => {
    const layout = await startLayout();
    try {
      const plain = await runCli(layout.sandbox, ['run', '--', 'sh', '-c', 'echo launched']);
      assert.equal(plain.code, 0, plain.stderr);
      assert.match(plain.stdout, /launched/);
      assert.equal(plain.stderr.match(/codex-auth login demo/g)?.length, 1, plain.stderr);
      assert.equal(layout.mcp.requests.length, 0, 'a plain run sends nothing on the way to the command');
      const strict = await runCli(layout.sandbox, ['run', '--strict', '--', 'sh', '-c', 'echo launched']);
      assert.equal(strict.code, 11, strict.stderr);
      assert.doesNotMatch(strict.stdout, /launched/);
      assertOneClearError(strict.stderr, /demo: .*needs authorization and codex-auth has not logged in to it/);
      assert.match(strict.stderr, /next: codex-auth login demo/);
    } finally {
      await layout.close();
    }
  });

  it('a server that needs no authorization: --strict finds so and launches, and later runs stop asking', async () => {
    const layout = await startLayout({ mcp: { open: true, prmAt: [] } });
    try {
      const strict = await runCli(layout.sandbox, ['run', '--strict', '--', 'sh', '-c', 'echo launched']);
      assert.equal(strict.code, 0, strict.stderr);
      assert.match(strict.stdout, /launched/);
      assert.ok(storedState(layout.sandbox)?.open, 'recorded as open');
      const plain = await runCli(layout.sandbox, ['run', '--', 'sh', '-c', 'echo launched']);
      assert.equal(plain.code, 0);
      assert.doesNotMatch(plain.stderr, /codex-auth login demo/);
    } finally {
      await layout.close();
    }
  });

  it('on a fresh machine (a remote server in config.toml, no codex-auth state yet) starts the command', async () => {
    await withSandbox(CONFIG, async (sandbox) => {
      const launched = await runCli(sandbox, ['run', '--', 'sh', '-c', 'echo launched']);
      assert.equal(launched.code, 0, launched.stderr);
      assert.match(launched.stdout, /launched/);
      assert.equal(existsSync(sandbox.stateDir), false, 'nothing written before the first login');
    });
  });

  it('warns with the exact login command and still launches; --strict makes it exit 11', async () => {
    const layout = await startLayout();
    try {
      assert.equal((await runCli(layout.sandbox, ['login', 'demo'], { env: { BROWSER: layout.browser() } })).code, 0);
      const stateFile = join(layout.sandbox.stateDir, 'servers', 'demo.json');
      const state = JSON.parse(readFileSync(stateFile, 'utf8')) as { grant?: unknown; needsLogin?: unknown };
      delete state.grant;
      state.needsLogin = { reason: 'the server rejected the refresh token (invalid_grant)', since: Date.now() };
      writeFileSync(stateFile, JSON.stringify(state));
      const launched = await runCli(layout.sandbox, ['run', '--', 'sh', '-c', 'echo launched']);
      assert.equal(launched.code, 0);
      assert.match(launched.stdout, /launched/);
      assert.match(launched.stderr, /codex-auth login demo/);
      const strict = await runCli(layout.sandbox, ['run', '--strict', '--', 'sh', '-c', 'echo launched']);
      assert.equal(strict.code, 11);
      assert.doesNotMatch(strict.stdout, /launched/);
    } finally {
      await layout.close();
    }
  });
});
