// What a new user meets walking through every command: machine-readable failures, progress while
// the network is slow, summaries that count what happened, hints that paste as they are.
import assert from 'node:assert/strict';
import { execa } from 'execa';
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { serverFileName } from '../../src/store/names.ts';
import { ageStoredToken, withLayout } from './fixtures.ts';
import { CLI, ROOT, runCli, withSandbox } from './harness.ts';

interface FailureDocument {
  ok: boolean;
  error: { step: string; message: string; hint?: string; exitCode: number };
}

describe('--json: one complete JSON document on stdout, even when the command fails as a whole', () => {
  for (const args of [['status', '--json'], ['login', '--json'], ['doctor', '--json'], ['login', 'remote', '--json'], ['doctor', 'remote', '--json']]) {
    it(`codex-auth ${args.join(' ')} with invalid TOML`, async () => {
      await withSandbox('model = "x"\n[mcp_servers.a\n', async (sandbox) => {
        const result = await runCli(sandbox, args);
        assert.equal(result.code, 3, result.stderr);
        const document = JSON.parse(result.stdout) as FailureDocument;
        assert.equal(document.ok, false);
        assert.equal(document.error.step, 'config');
        assert.equal(document.error.exitCode, 3);
        assert.match(document.error.message, /invalid TOML/);
        assert.match(document.error.hint ?? '', /^fix /);
        assert.match(result.stderr, /^error: reading config: /m, 'the person still reads the error on stderr');
      });
    });
  }

  it('with no config.toml at all, login and doctor --json say so in JSON', async () => {
    await withSandbox(undefined, async (sandbox) => {
        for (const command of ['login', 'doctor']) {
          const result = await runCli(sandbox, [command, '--json']);
          assert.equal(result.code, 3, result.stderr);
          const document = JSON.parse(result.stdout) as FailureDocument;
          assert.deepEqual([document.ok, document.error.step, document.error.exitCode], [false, 'config', 3]);
          assert.match(document.error.message, /does not exist/);
        }
    });
  });

  it('a usage error of a command given --json is a JSON document too (exit 2), and the command does not run', async () => {
    await withSandbox('[mcp_servers.remote]\nurl = "https://mcp.example.com/mcp"\n', async (sandbox) => {
      for (const args of [['login', 'remote', '--json', '--bogus'], ['status', '--json', 'extra'], ['logout', '--json', '--bogus']]) {
        const result = await runCli(sandbox, args);
        assert.equal(result.code, 2, result.stderr);
        const document = JSON.parse(result.stdout) as FailureDocument;
        assert.deepEqual([document.ok, document.error.step, document.error.exitCode], [false, 'arguments', 2]);
        assert.match(result.stderr, /^error: (unknown option --bogus|unexpected argument "extra")$/m);
      }
      // A command without --json keeps stdout empty: nothing there was asked for.
      const run = await runCli(sandbox, ['run', '--json', '--', 'sh', '-c', 'echo ran']);
      assert.equal(run.code, 2);
      assert.equal(run.stdout, '');
    });
  });
});

/** A loopback port nothing listens on: connections to it are refused at once. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('doctor tells the person what it is doing', () => {
  it('shows each network step on stderr as it starts (its report comes only at the end), and keeps --json stdout one document', async () => {
    const port = await closedPort();
    await withSandbox(`[mcp_servers.remote]\nurl = "http://127.0.0.1:${port}/mcp"\n`, async (sandbox) => {
      for (const json of [false, true]) {
        const result = await runCli(sandbox, ['doctor', 'remote', ...(json ? ['--json'] : [])]);
        assert.equal(result.code, 8, result.stderr);
        assert.match(result.stderr, new RegExp(`^· remote probing the server http://127\\.0\\.0\\.1:${port}/mcp$`, 'm'));
        if (json) assert.equal((JSON.parse(result.stdout) as { error: { step: string } }).error.step, 'probe');
        else {
          assert.doesNotMatch(result.stdout, /probing the server/, 'progress stays off stdout');
          // Where discovery stopped comes where it happened: before the step about Codex.
          assert.match(result.stdout, /\n✗ probe: Could not reach [^\n]*\n {4}next: [^\n]*\n! codex\n/);
          assert.match(result.stdout, /^ {4}problems:\n {6}- the entry is not wired to codex-auth: run codex-auth login remote$/m);
        }
      }
    });
  });

  it('with no remote server in config.toml, says there is nothing to check instead of printing nothing', async () => {
    await withSandbox('[mcp_servers.local]\ncommand = "echo"\n', async (sandbox) => {
      const result = await runCli(sandbox, ['doctor']);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stderr, /^No remote MCP servers in .*config\.toml: nothing to check\. Add one with: codex mcp add <name> --url <url>$/m);
      assert.deepEqual(JSON.parse((await runCli(sandbox, ['doctor', '--json'])).stdout), []);
    });
  });
});

describe('the summary of several servers counts what happened', () => {
  it('a disabled entry login skipped is listed as skipped, not counted as ready', async () => {
    const port = await closedPort();
    const url = `http://127.0.0.1:${port}/mcp`;
    await withSandbox(`[mcp_servers.a-b]\nurl = "${url}"\nenabled = false\n\n[mcp_servers."my.server"]\nurl = "${url}"\n\n[mcp_servers.other]\nurl = "${url}"\n`, async (sandbox) => {
      const result = await runCli(sandbox, ['login']);
      assert.equal(result.code, 8, result.stderr);
      assert.match(result.stderr, /^✗ 0 of 2 servers ready; failed: my\.server, other; skipped: a-b$/m);
    });
    await withSandbox(`[mcp_servers.a-b]\nurl = "${url}"\nenabled = false\n\n[mcp_servers.c]\nurl = "${url}"\nenabled = false\n`, async (sandbox) => {
      const result = await runCli(sandbox, ['login']);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stderr, /^- every server skipped: a-b, c$/m);
      assert.doesNotMatch(result.stderr, /✓/, 'nothing was made ready');
    });
  });
});

describe('errors about a config entry name its table as config.toml spells it', () => {
  it('a server name with a dot or a space is quoted in [mcp_servers."…"]; a stdio server gets a next step', async () => {
    await withSandbox('[mcp_servers."my.server"]\nurl = "not a url"\n\n[mcp_servers."a b"]\n\n[mcp_servers.local]\ncommand = "echo"\n', async (sandbox) => {
      const badUrl = await runCli(sandbox, ['login', 'my.server']);
      assert.equal(badUrl.code, 3, badUrl.stderr);
      assert.match(badUrl.stderr, /^error: my\.server: reading config: the url of \[mcp_servers\."my\.server"\] in /m);
      assert.match(badUrl.stderr, /next: set url = "https:\/\/\.\.\." in \[mcp_servers\."my\.server"\]$/m);
      const empty = await runCli(sandbox, ['doctor', 'a b', '--json']);
      assert.equal(empty.code, 3, empty.stderr);
      assert.equal((JSON.parse(empty.stdout) as { error: { hint: string } }).error.hint, 'add url = "https://..." to [mcp_servers."a b"]');
      const stdio = await runCli(sandbox, ['login', 'local']);
      assert.equal(stdio.code, 3, stdio.stderr);
      assert.match(stdio.stderr, /^ {2}next: nothing to do for it: Codex starts stdio servers itself; codex-auth status lists the remote ones$/m);
      const doctor = await runCli(sandbox, ['doctor', 'local']);
      assert.equal(doctor.code, 3, doctor.stderr);
      assert.deepEqual(doctor.stdout.split('\n').slice(0, 3), ['local', '✗ config: "local" is a stdio server (it has a command, not a url): there is nothing to log in to', '    next: nothing to do for it: Codex starts stdio servers itself; codex-auth status lists the remote ones']);
    });
  });
});

describe('help examples paste into a shell as they are', () => {
  it('every example command line fits 78 columns; a long command continues with " \\" instead of being wrapped mid-command', async () => {
    await withSandbox(undefined, async (sandbox) => {
        for (const command of [[], ['login'], ['run'], ['headers'], ['status'], ['logout'], ['unpatch'], ['alias'], ['doctor'], ['config'], ['config', 'get'], ['config', 'set'], ['config', 'unset']]) {
          const help = await runCli(sandbox, [...command, '--help']);
          assert.equal(help.code, 0, help.stderr);
          const examples = /^Examples:\n([\s\S]*?)\n\n(?=[A-Z])/m.exec(help.stdout)?.[1] ?? '';
          const lines = examples.split('\n');
          assert.ok(lines.some((line) => line.startsWith('  $ ')), `codex-auth ${command.join(' ')} --help has examples`);
          lines.forEach((line, index) => {
            if (line === '' || line.startsWith('  # ') || line.startsWith('  $ ')) return;
            assert.ok(lines[index - 1]!.endsWith(' \\'), `codex-auth ${command.join(' ')} --help: "${line}" continues a command that does not say so`);
          });
          for (const line of lines.filter((text) => !text.startsWith('  # '))) assert.ok(line.length <= 78, `too wide for an 80-column terminal: ${line}`);
        }
    });
  });
});

describe('run and logout with a server that has gone away', () => {
  it('an expired token that cannot be refreshed is not called "the current token": run says the server may refuse it, and what to do', async () => {
    await withLayout({ serverName: 'a-b' }, async (layout) => {
      const login = await runCli(layout.sandbox, ['login', 'a-b'], { env: { BROWSER: layout.browser() } });
      assert.equal(login.code, 0, login.stderr);
      ageStoredToken(layout.sandbox, -60_000, 'a-b');
      await layout.auth.close();
      const run = await runCli(layout.sandbox, ['run', '--', 'sh', '-c', 'echo child ran']);
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stdout, 'child ran');
      assert.match(run.stderr, /^! a-b: its token has expired and could not be refreshed \(Could not reach 127\.0\.0\.1:\d+ \(refresh\): connection refused [^\n]*\); Codex starts with it, but the server may refuse it: see codex-auth doctor a-b, or log in again: codex-auth login a-b$/m);
      assert.doesNotMatch(run.stderr, /using the current token/);
      // The header helper's one line (kept for status) reads as one sentence, not "....; next:".
      const helper = await runCli(layout.sandbox, ['headers', 'a-b']);
      assert.equal(helper.code, 8, helper.stderr);
      assert.match(helper.stderr, /^codex-auth: a-b: Could not reach 127\.0\.0\.1:\d+ \(refresh\): connection refused \([^)]*\); next: Check your connection/);
      // logout waits on the revocation endpoint: it says so first, then that it forgot the tokens anyway.
      const logout = await runCli(layout.sandbox, ['logout', 'a-b']);
      assert.equal(logout.code, 0, logout.stderr);
      assert.match(logout.stderr, /^· a-b revocation http:\/\/127\.0\.0\.1:\d+\/token\/revocation\n! a-b: the server did not confirm revocation \(Could not reach [^\n]*\)\); forgetting the tokens anyway\n✓ a-b: logged out$/m);
    });
  });
});

describe('status of an entry Codex would refuse', () => {
  it('is shown as a problem with the table to fix, not as an "invalid server, nothing to authorize"', async () => {
    // [mcp_servers.my.server] is the table "server" inside an entry "my", which then has no url.
    await withSandbox('[mcp_servers.my.server]\nurl = "https://mcp.example.com/mcp"\n\n[mcp_servers.local]\ncommand = "echo"\n', async (sandbox) => {
      const result = await runCli(sandbox, ['status']);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /^my {2}invalid entry: it has both a url and a command, or neither; Codex rejects config\.toml until it has exactly one$/m);
      assert.match(result.stdout, /^ {2}next: {5}fix \[mcp_servers\.my\] in \S*config\.toml \(a name with a dot is quoted: \[mcp_servers\."my\.server"\]\)$/m);
      assert.doesNotMatch(result.stdout, /nothing to authorize\n[\s\S]*nothing to authorize/, 'only the stdio server has nothing to authorize');
    });
  });
});

describe('alias without npm link', () => {
  it('names this install by its full path when codex-auth is not on PATH, so the pasted line starts codex instead of "command not found"', async () => {
    await withSandbox('[mcp_servers.local]\ncommand = "echo"\n', async (sandbox) => {
      const result = await runCli(sandbox, ['alias', '--shell', 'bash']);
      assert.equal(result.code, 0, result.stderr);
      const line = result.stdout.trim();
      assert.equal(line, `alias codex='${process.execPath} ${CLI} run -- codex'`);
      assert.match(result.stderr, /codex-auth is not on your PATH \(no npm link\)/);
      assert.equal((JSON.parse((await runCli(sandbox, ['alias', '--json'])).stdout) as { codexAuthOnPath: boolean }).codexAuthOnPath, false);
      // The line as a person pastes it into bash: `codex` then runs the real codex through codex-auth.
      const shell = await execa('bash', ['-c', `shopt -s expand_aliases\n${line}\ncodex --version\n`], { env: sandbox.env, extendEnv: false, reject: false, cwd: sandbox.root });
      assert.equal(shell.exitCode, 0, String(shell.stderr));
      assert.match(String(shell.stdout), /^codex-cli \d+\.\d+\.\d+/m);
    });
  });
});

describe('a config.toml that cannot be read', () => {
  it('--config naming a directory (a path with a space) says which file to give, quoted to paste', async () => {
    await withSandbox(undefined, async (sandbox) => {
        const dir = join(sandbox.root, 'co dex');
        mkdirSync(dir);
        const result = await runCli(sandbox, ['status', '--config', dir]);
        assert.equal(result.code, 3, result.stderr);
        assert.match(result.stderr, /^error: reading config: cannot read .*co dex \(EISDIR\)$/m);
        assert.ok(result.stderr.includes(`  next: that is a directory; --config takes the file: --config '${join(dir, 'config.toml')}' (or set CODEX_HOME to the directory)`), result.stderr);
    });
  });
});

describe('an install whose path has a space (a clone in "my projects")', () => {
  it('help names the README quoted, and the alias line, pasted into bash, starts codex through this install', async () => {
    await withSandbox('[mcp_servers.local]\ncommand = "echo"\n', async (sandbox) => {
      const clone = join(sandbox.root, 'my clone');
      mkdirSync(clone);
      for (const part of ['bin', 'dist', 'package.json', 'README.md']) cpSync(join(ROOT, part), join(clone, part), { recursive: true });
      const cli = join(clone, 'bin', 'codex-auth.js');
      const run = (args: string[]) => execa(process.execPath, [cli, ...args], { env: sandbox.env, extendEnv: false, reject: false, cwd: sandbox.root });
      const help = await run(['--help']);
      assert.equal(help.exitCode, 0, String(help.stderr));
      assert.ok(String(help.stdout).split('\n').includes(`    '${join(clone, 'README.md')}'`), String(help.stdout));
      const line = String((await run(['alias', '--shell', 'bash'])).stdout).trim();
      const shell = await execa('bash', ['-c', `shopt -s expand_aliases\n${line}\ncodex --version\n`], { env: sandbox.env, extendEnv: false, reject: false, cwd: sandbox.root });
      assert.equal(shell.exitCode, 0, `${line}\n${String(shell.stderr)}`);
      assert.match(String(shell.stdout), /^codex-cli \d+\.\d+\.\d+/m);
    });
  });
});

describe('doctor without names checks what login without names would log in to', () => {
  it('a disabled entry is skipped with a line saying how to check it, and does not fail the run', async () => {
    const port = await closedPort();
    await withSandbox(`[mcp_servers.a-b]\nurl = "http://127.0.0.1:${port}/mcp"\nenabled = false\n\n[mcp_servers.local]\ncommand = "echo"\n`, async (sandbox) => {
      const all = await runCli(sandbox, ['doctor']);
      assert.equal(all.code, 0, all.stderr);
      assert.match(all.stderr, /^- a-b: disabled in config\.toml \(enabled = false\), skipped; check it with codex-auth doctor a-b$/m);
      assert.doesNotMatch(all.stderr, /No remote MCP servers/);
      assert.deepEqual(JSON.parse((await runCli(sandbox, ['doctor', '--json'])).stdout), []);
      const named = await runCli(sandbox, ['doctor', 'a-b']);
      assert.equal(named.code, 8, named.stderr);
    });
  });
});

describe('login of a server that issues no refresh token and a token for days', () => {
  it('says when the login ends with its date, and the commands to run, quoted to paste', async () => {
    const layout = {
      serverName: 'a-b',
      auth: { scopes: ['openid', 'mcp:read', 'mcp:write'], accessTokenTtlSeconds: 3 * 86_400, quirks: { stockRefreshTokenPolicy: true } },
      mcp: { scopesSupported: ['mcp:read', 'mcp:write'] },
    };
    await withLayout(layout, async (layout) => {
      // A name that needs quoting: the entry is renamed to "my server" in config.toml.
      layout.sandbox.writeConfig(layout.sandbox.readConfig().replace('[mcp_servers.a-b]', '[mcp_servers."my server"]'));
      // No browser and no pasted address: every command in the next step pastes as it is.
      const abandoned = await runCli(layout.sandbox, ['login', 'my server', '--no-browser']);
      assert.equal(abandoned.code, 6, abandoned.stderr);
      assert.match(abandoned.stderr, /^ {2}next: run codex-auth login 'my server' again in a terminal .*: run codex-auth login 'my server' --force to register afresh$/m);
      const login = await runCli(layout.sandbox, ['login', 'my server'], { env: { BROWSER: layout.browser(), TZ: 'UTC', LANG: 'C.UTF-8' } });
      assert.equal(login.code, 0, login.stderr);
      assert.match(login.stderr, /^! my server: the server issued no refresh token, so this login ends when the token expires \([^)]+\); then run codex-auth login 'my server' again$/m);
      const until = new Date(Date.now() + 3 * 86_400_000).toLocaleDateString('en-US', { timeZone: 'UTC' });
      assert.ok(login.stderr.includes(`token valid until ${until}`), `the date is given: ${login.stderr}`);
    });
  });
});

describe('a lock another process holds', () => {
  it('names the command that removes it, quoted for a state directory with a space (as on macOS)', async () => {
    await withSandbox(undefined, async (sandbox) => {
      const stateDir = join(sandbox.root, 'Application Support', 'codex-auth');
      sandbox.env.CODEX_AUTH_HOME = stateDir;
      sandbox.writeConfig('[mcp_servers.remote]\nurl = "https://mcp.example.com/mcp"\n');
      mkdirSync(join(stateDir, 'servers'), { recursive: true, mode: 0o700 });
      writeFileSync(join(stateDir, 'servers', `${serverFileName('remote')}.json`), JSON.stringify({ serverName: 'remote', needsLogin: { reason: 'test', since: 0 } }), { mode: 0o600 });
      const lock = join(stateDir, 'locks', `${serverFileName('remote')}.lock`);
      mkdirSync(lock, { recursive: true });
      const result = await runCli(sandbox, ['logout', 'remote'], { env: { CODEX_AUTH_LOCK_WAIT_MS: '300' } });
      assert.equal(result.code, 9, result.stderr);
      assert.ok(result.stderr.includes(`  next: if no other codex-auth is running, remove the lock, rm -r '${lock}', and try again`), result.stderr);
    });
  });
});

describe('a settings.json that is not valid JSON', () => {
  it('the next step works: config set itself cannot read the file, so the hint is to fix or remove it, with the rm command quoted; run still starts the command', async () => {
    await withSandbox(undefined, async (sandbox) => {
      const stateDir = join(sandbox.root, 'Application Support', 'codex-auth');
      sandbox.env.CODEX_AUTH_HOME = stateDir;
      mkdirSync(stateDir, { recursive: true, mode: 0o700 });
      const file = join(stateDir, 'settings.json');
      writeFileSync(file, '{bad', { mode: 0o600 });
      const config = await runCli(sandbox, ['config']);
      assert.equal(config.code, 3, config.stderr);
      assert.ok(config.stderr.includes(`  next: fix the JSON by hand, or remove the file (rm '${file}') and set again what you need with codex-auth config set <name> <value>`), config.stderr);
      // Like a damaged state file, it does not stop a launch: run warns, uses the defaults and starts the command.
      const run = await runCli(sandbox, ['run', '--', 'sh', '-c', 'echo ran']);
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stdout, 'ran');
      assert.match(run.stderr, /is not valid: .*; starting with the default settings\. Fix: fix the JSON by hand, or remove the file/);
      // A bad variable, typed just now, still stops it.
      assert.equal((await runCli(sandbox, ['run', '--', 'sh', '-c', 'echo ran'], { env: { CODEX_AUTH_PROXY: 'flase' } })).code, 2);
      // What the hint says does work: without the file, config set succeeds.
      rmSync(file);
      assert.equal((await runCli(sandbox, ['config', 'set', 'proxy', 'false'])).code, 0);
    });
  });
});
