// The command line as people really type it (issue #13): wrong input is a usage error (exit 2)
// naming the bad word, followed by the command's usage, and nothing runs or changes on disk;
// help reads like gh's; empty states are not errors.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createSandbox, ROOT, runCli, snapshotTree, type Sandbox } from './harness.ts';

const CONFIG = `# personal config
model = "gpt-5"

[mcp_servers.local]
command = "echo"

[mcp_servers.remote]
url = "https://mcp.example.com/mcp"
`;

/** A sandbox with a config and a state file, so that a command that wrongly ran would change something. */
function sandboxWithState(): Sandbox {
  const sandbox = createSandbox();
  sandbox.writeConfig(CONFIG);
  mkdirSync(join(sandbox.stateDir, 'servers'), { recursive: true, mode: 0o700 });
  writeFileSync(join(sandbox.stateDir, 'servers', 'remote.json'), JSON.stringify({ serverName: 'remote', needsLogin: { reason: 'test', since: 0 } }), { mode: 0o600 });
  return sandbox;
}

async function withSandbox(make: () => Sandbox, body: (sandbox: Sandbox) => Promise<void>): Promise<void> {
  const sandbox = make();
  try {
    await body(sandbox);
  } finally {
    sandbox.cleanup();
  }
}

const USAGE_ERRORS: Array<{ args: string[]; error: RegExp; usage: RegExp; code?: number }> = [
  { args: ['logout', '--bogus', 'nosuch'], error: /^error: unknown option --bogus$/m, usage: /Usage: codex-auth logout/ },
  { args: ['status', '--bogus'], error: /^error: unknown option --bogus$/m, usage: /Usage: codex-auth status/ },
  { args: ['status', 'extra'], error: /^error: unexpected argument "extra"$/m, usage: /Usage: codex-auth status/ },
  { args: ['alias', '--shell', 'pwsh'], error: /^error: invalid value "pwsh" for --shell \(choose from bash, zsh, fish\)$/m, usage: /Usage: codex-auth alias/ },
  { args: ['config', 'get', 'nope'], error: /^error: invalid value "nope" for <name>/m, usage: /Usage: codex-auth config get <name>/ },
  { args: ['config', 'frobnicate'], error: /^error: unexpected argument "frobnicate"$/m, usage: /Usage: codex-auth config/ },
  { args: ['login', 'remote', '--callback-port', 'abc'], error: /^error: --callback-port must be a port number from 1 to 65535, not "abc"$/m, usage: /Usage: codex-auth login/ },
  { args: ['login', '--callback-port', '70000'], error: /--callback-port must be a port number/, usage: /Usage: codex-auth login/ },
  { args: ['login', '--scopes'], error: /^error: --scopes needs a value$/m, usage: /Usage: codex-auth login/ },
  { args: ['headers'], error: /^error: missing argument <name> \(see the usage below\)$/m, usage: /Usage: codex-auth headers <name>/ },
  { args: ['config', 'set', 'proxy'], error: /^error: missing argument <value> \(see the usage below\)$/m, usage: /Usage: codex-auth config set <name> <value>/ },
  { args: ['run', '--refresh-margin', 'soon', '--', 'sh', '-c', 'echo ran'], error: /--refresh-margin must be a number of minutes/, usage: /Usage: codex-auth run/ },
  // An option given twice takes its last value, but every value given is checked.
  { args: ['run', '--refresh-margin', 'soon', '--refresh-margin', '5', '--', 'sh', '-c', 'echo ran'], error: /--refresh-margin must be a number of minutes \(0 or more\), not "soon"$/m, usage: /Usage: codex-auth run/ },
  { args: ['login', 'remote', '--callback-port', '70000', '--callback-port', '8080'], error: /^error: --callback-port must be a port number from 1 to 65535, not "70000"$/m, usage: /Usage: codex-auth login/ },
  { args: ['login', 'remote', '--grant', 'bogus', '--grant', 'client_credentials'], error: /^error: invalid value "bogus" for --grant/m, usage: /Usage: codex-auth login/ },
  { args: ['run', '--bogus', '--', 'sh', '-c', 'echo ran'], error: /^error: unknown option --bogus$/m, usage: /Usage: codex-auth run/ },
  { args: ['status', '--json=maybe'], error: /^error: --json takes no value \(got "maybe"\); use --json or --no-json$/m, usage: /Usage: codex-auth status/ },
  { args: ['login', '--no-browser=no'], error: /^error: --no-browser takes no value \(got "no"\)/m, usage: /Usage: codex-auth login/ },
  { args: ['run', '--strict=maybe', '--', 'sh', '-c', 'echo ran'], error: /^error: --strict takes no value/m, usage: /Usage: codex-auth run/ },
  { args: ['unpatch', 'demo', '--remove-backup=yes'], error: /^error: --remove-backup takes no value \(got "yes"\)/m, usage: /Usage: codex-auth unpatch/ },
  { args: ['--debug=1', 'status'], error: /^error: --debug takes no value/m, usage: /Usage: codex-auth/ },
  { args: ['unpatch', 'nosuch'], error: /^error: nosuch: state: codex-auth knows nothing of nosuch, and config\.toml has no server of that name$/m, usage: /next: see codex-auth status/, code: 3 },
  { args: ['doctor', '--bogus'], error: /^error: unknown option --bogus$/m, usage: /Usage: codex-auth doctor/ },
  { args: ['logni'], error: /^error: unknown command "logni"; did you mean login\?$/m, usage: /Usage: codex-auth <command>/ },
  { args: ['frobnicate'], error: /^error: unexpected argument "frobnicate"$/m, usage: /Usage: codex-auth <command>/ },
  { args: ['help', 'nope'], error: /^error: unknown command "nope"/m, usage: /next: codex-auth --help/ },
];

describe('wrong input: exit 2 (3 for a server name nobody knows), one error line naming the bad word, then the usage or the next step; nothing runs, nothing changes', () => {
  for (const { args, error, usage, code = 2 } of USAGE_ERRORS) {
    it(`codex-auth ${args.join(' ')}`, async () => {
      await withSandbox(sandboxWithState, async (sandbox) => {
        const before = snapshotTree(sandbox.root);
        const result = await runCli(sandbox, args);
        assert.equal(result.code, code, result.stderr);
        assert.match(result.stderr, error);
        assert.equal(result.stderr.split('\n').filter((line) => line.startsWith('error:')).length, 1, 'one error line');
        assert.ok(result.stderr.startsWith('error: '), 'the error comes first');
        assert.match(result.stderr, usage);
        assert.equal(result.stdout, '', 'nothing on stdout: the command did not run');
        assert.deepEqual(snapshotTree(sandbox.root), before, 'nothing changed on disk');
      });
    });
  }

  it('invalid CODEX_AUTH_PROXY and CODEX_AUTH_REFRESH_MARGIN are reported, and run does not start the command', async () => {
    await withSandbox(sandboxWithState, async (sandbox) => {
      const before = snapshotTree(sandbox.root);
      for (const [variable, value] of [['CODEX_AUTH_PROXY', 'flase'], ['CODEX_AUTH_REFRESH_MARGIN', '-5'], ['CODEX_AUTH_REFRESH_MARGIN', 'soon']] as const) {
        const run = await runCli(sandbox, ['run', '--', 'sh', '-c', 'echo ran'], { env: { [variable]: value } });
        assert.equal(run.code, 2, run.stderr);
        assert.match(run.stderr, new RegExp(`^error: settings: ${variable}="${value}" is not`, 'm'));
        assert.match(run.stderr, new RegExp(`next: set ${variable} to`));
        assert.doesNotMatch(run.stdout, /ran/);
        const config = await runCli(sandbox, ['config'], { env: { [variable]: value } });
        assert.equal(config.code, 2);
        assert.match(config.stderr, new RegExp(variable));
      }
      assert.deepEqual(snapshotTree(sandbox.root), before);
      const valid = await runCli(sandbox, ['config', 'get', 'proxy', '--json'], { env: { CODEX_AUTH_PROXY: 'off' } });
      assert.deepEqual(JSON.parse(valid.stdout), { name: 'proxy', value: false, source: 'CODEX_AUTH_PROXY' });
    });
  });

  it('a bad setting value is refused before settings.json is created, labelled as a settings error', async () => {
    await withSandbox(() => createSandbox(), async (sandbox) => {
      const result = await runCli(sandbox, ['config', 'set', 'refreshMarginMinutes', 'soon']);
      assert.equal(result.code, 2);
      assert.match(result.stderr, /^error: settings: refreshMarginMinutes cannot be set to soon$/m);
      assert.equal(existsSync(sandbox.stateDir), false);
      assert.equal((await runCli(sandbox, ['config', 'set', 'refreshMarginMinutes', '30'])).code, 0);
      assert.equal((await runCli(sandbox, ['config', 'get', 'refreshMarginMinutes'])).stdout, '30');
    });
  });

  it('--client-secret-env naming an unset variable is a command-line error, not "reading config"', async () => {
    await withSandbox(sandboxWithState, async (sandbox) => {
      const result = await runCli(sandbox, ['login', 'remote', '--client-id', 'abc', '--client-secret-env', 'NOT_SET_ANYWHERE']);
      assert.equal(result.code, 2);
      assert.match(result.stderr, /^error: command line: --client-secret-env names NOT_SET_ANYWHERE/m);
    });
  });

  it('a single-value option given twice takes its last value, as in git and gh (yargs alone would pass both as a list)', async () => {
    await withSandbox(sandboxWithState, async (sandbox) => {
      const twice = ['login', 'remote', '--client-id', 'first', '--client-id', 'abc', '--client-secret-env', 'HOME', '--client-secret-env', 'NOT_SET_ANYWHERE'];
      const result = await runCli(sandbox, twice);
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, /^error: command line: --client-secret-env names NOT_SET_ANYWHERE, but that variable is not set$/m);
      assert.match(result.stderr, /next: export NOT_SET_ANYWHERE=<client secret>/);
    });
  });
});

describe('help like gh', () => {
  it('codex-auth with no arguments shows the help and exits 0', async () => {
    await withSandbox(() => createSandbox(), async (sandbox) => {
      const result = await runCli(sandbox, []);
      assert.equal(result.code, 0, result.stderr);
      for (const part of [/^Usage: codex-auth <command> \[options\]$/m, /^Commands:$/m, /^Global options:$/m, /^Examples:$/m, /^Exit codes:$/m, /^Learn more:$/m, /codex-auth help \[command\]/]) {
        assert.match(result.stdout, part);
      }
      assert.equal((await runCli(sandbox, ['help'])).stdout, result.stdout);
      assert.equal((await runCli(sandbox, ['--no-color', 'help'])).stdout, result.stdout, 'global options may come first');
      assert.match((await runCli(sandbox, ['--debug', 'help', 'status'])).stdout, /^Usage: codex-auth status/m);
      assert.equal(existsSync(sandbox.stateDir), false);
    });
  });

  for (const command of ['login', 'run', 'headers', 'status', 'logout', 'unpatch', 'alias', 'doctor', 'config', 'config get', 'config set', 'config unset']) {
    it(`help ${command}: description, usage, every option described, global options apart, examples, Learn more`, async () => {
      await withSandbox(() => createSandbox(), async (sandbox) => {
        const words = command.split(' ');
        const help = await runCli(sandbox, ['help', ...words]);
        assert.equal(help.code, 0, help.stderr);
        assert.equal((await runCli(sandbox, [...words, '--help'])).stdout, help.stdout, 'help <command> is <command> --help');
        const text = help.stdout;
        assert.match(text, new RegExp(`^Usage: codex-auth ${command}`, 'm'));
        assert.ok(text.indexOf('Usage:') > 0, 'a description comes before the usage');
        assert.ok(text.indexOf('Options:') < text.indexOf('Global options:'), 'own options, then global ones');
        assert.match(text, /^Examples:\n {2}# .+\n {2}\$ codex-auth /m);
        assert.match(text, /^Learn more:$/m);
        // Every option and positional line carries a description, not just its name and type.
        const entries = text.split('\n').filter((line) => /^ {2}(?:-\w, | {4})--[\w-]+ |^ {2}[a-z][\w-]* {2}/.test(line));
        assert.ok(entries.length >= 6, 'options and global options are listed');
        for (const line of entries) assert.doesNotMatch(line, /^\s+(-\w, )?(--)?[\w-]+\s+\[[a-z]+\]/, `undescribed: ${line}`);
      });
    });
  }

  it('--version prints the package version, from any directory', async () => {
    await withSandbox(() => createSandbox(), async (sandbox) => {
      const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
      const result = await runCli(sandbox, ['--version'], { cwd: sandbox.root });
      assert.equal(result.code, 0);
      assert.equal(result.stdout.trim(), version);
    });
  });
});

describe('a machine with no codex-auth state: not an error', () => {
  it('logout, unpatch and status exit 0, say so, and create nothing', async () => {
    await withSandbox(() => createSandbox(), async (sandbox) => {
      sandbox.writeConfig(CONFIG);
      const before = snapshotTree(sandbox.root);
      const logout = await runCli(sandbox, ['logout']);
      assert.equal(logout.code, 0, logout.stderr);
      assert.match(logout.stderr, /nothing to log out/);
      const named = await runCli(sandbox, ['logout', 'remote']);
      assert.equal(named.code, 0, named.stderr);
      assert.match(named.stderr, /remote: not logged in, nothing to log out/);
      const unpatch = await runCli(sandbox, ['unpatch']);
      assert.equal(unpatch.code, 0, unpatch.stderr);
      assert.match(unpatch.stderr, /nothing to restore/);
      const status = await runCli(sandbox, ['status']);
      assert.equal(status.code, 0, status.stderr);
      assert.match(status.stdout, /remote {2}not logged in/);
      assert.match(status.stdout, /next: {5}codex-auth login remote$/m);
      assert.deepEqual(snapshotTree(sandbox.root), before);
      const typo = await runCli(sandbox, ['logout', 'remtoe']);
      assert.equal(typo.code, 3, 'a name that is neither logged in nor in config.toml is a mistake');
      assert.match(typo.stderr, /^error: remtoe: state: codex-auth knows nothing of remtoe, and config.toml has no server of that name$/m);
    });
  });

  it('logout, unpatch and status work with no config.toml at all', async () => {
    await withSandbox(() => createSandbox(), async (sandbox) => {
      for (const args of [['logout'], ['unpatch'], ['status']]) {
        const result = await runCli(sandbox, args);
        assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
      }
      assert.equal(existsSync(sandbox.stateDir), false);
    });
  });
});
