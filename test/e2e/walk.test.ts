// What a new user meets walking through every command: machine-readable failures, progress while
// the network is slow, summaries that count what happened, hints that paste as they are.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createSandbox, runCli, type Sandbox } from './harness.ts';

async function withSandbox(config: string | undefined, body: (sandbox: Sandbox) => Promise<void>): Promise<void> {
  const sandbox = createSandbox();
  try {
    if (config !== undefined) sandbox.writeConfig(config);
    await body(sandbox);
  } finally {
    sandbox.cleanup();
  }
}

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
