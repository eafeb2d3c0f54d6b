// `run` as a parent process: exit codes as a shell reports them, signals passed
// on without the wrapper dying first, and the real codex found past a shim.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { execa } from 'execa';
import { CLI, createSandbox, ROOT, runCli } from './harness.ts';

describe('run: exit codes and signals', () => {
  it('exits with the command\'s own code, and 128+signal when it was killed', async () => {
    const sandbox = createSandbox();
    try {
      assert.equal((await runCli(sandbox, ['run', '--', 'sh', '-c', 'exit 7'])).code, 7);
      assert.equal((await runCli(sandbox, ['run', '--', 'sh', '-c', 'kill -KILL $$'])).code, 137);
      assert.equal((await runCli(sandbox, ['run', '--', 'sh', '-c', 'kill -TERM $$'])).code, 143);
    } finally {
      sandbox.cleanup();
    }
  });

  for (const signal of ['SIGTERM', 'SIGHUP', 'SIGINT'] as const) {
    it(`${signal} sent to the wrapper reaches the command, and the wrapper waits for it`, async () => {
      const sandbox = createSandbox();
      try {
        const child = execa(process.execPath, [CLI, 'run', '--', process.execPath, '-e', `process.on('${signal}', () => { console.log('child got ${signal}'); setTimeout(() => process.exit(42), 200); }); console.log('ready'); setInterval(() => {}, 1000);`], {
          env: sandbox.env,
          extendEnv: false,
          reject: false,
          stdin: 'ignore',
          // Its own session: run from a terminal, the wrapper would otherwise be in the terminal's
          // foreground group, where it leaves Ctrl-C to the terminal (see the test below).
          detached: true,
        });
        await new Promise<void>((resolve) => child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve()));
        child.kill(signal);
        const result = await child;
        assert.match(String(result.stdout), new RegExp(`child got ${signal}`));
        assert.equal(result.exitCode, 42, 'the wrapper exits with the child\'s code after the child handled the signal');
      } finally {
        sandbox.cleanup();
      }
    });
  }

  it('finds the real codex past a `codex` shim that runs codex-auth (no recursion)', async () => {
    const sandbox = createSandbox();
    try {
      const shims = join(sandbox.root, 'shims');
      mkdirSync(shims);
      const shim = join(shims, 'codex');
      writeFileSync(shim, `#!/bin/sh\nexec "${process.execPath}" "${CLI}" run -- codex "$@"\n`);
      chmodSync(shim, 0o755);
      const env = { PATH: `${shims}:${join(ROOT, 'node_modules', '.bin')}:/usr/bin:/bin` };
      const viaShim = await execa(shim, ['--version'], { env: { ...sandbox.env, ...env }, extendEnv: false, reject: false, stdin: 'ignore', timeout: 30_000 });
      assert.equal(viaShim.exitCode, 0, String(viaShim.stderr));
      assert.match(String(viaShim.stdout), /codex(-cli)? \d+\.\d+/);
    } finally {
      sandbox.cleanup();
    }
  });

  it('CODEX_AUTH_CODEX_BIN names the real codex', async () => {
    const sandbox = createSandbox();
    try {
      const result = await runCli(sandbox, ['run', '--', 'codex', '--version'], { env: { CODEX_AUTH_CODEX_BIN: join(ROOT, 'node_modules', 'codex-0130', 'bin', 'codex.js'), PATH: '/usr/bin:/bin' } });
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /0\.130\.0/);
    } finally {
      sandbox.cleanup();
    }
  });

  it('Ctrl-C at a terminal reaches the command once, also when stdin is not a terminal (wrapper and command share the foreground group)', async () => {
    const sandbox = createSandbox();
    try {
      const child = `let n = 0; process.on('SIGINT', () => { n += 1; }); console.log('ready'); setTimeout(() => { console.log('SIGINT count=' + n); process.exit(0); }, 1500);`;
      const inner = `exec ${[process.execPath, CLI, 'run', '--', process.execPath, '-e', child].map((word) => `'${word.replaceAll("'", `'\\''`)}'`).join(' ')} < /dev/null`;
      // script(1) gives the command a terminal; ^C typed into it makes the terminal signal the foreground group.
      const terminal = execa('script', ['-qec', inner, '/dev/null'], { env: sandbox.env, extendEnv: false, reject: false, stdin: 'pipe', timeout: 30_000 });
      await new Promise<void>((resolve) => terminal.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve()));
      terminal.stdin!.write('\x03');
      const result = await terminal;
      terminal.stdin!.end();
      assert.match(String(result.stdout), /SIGINT count=1/);
    } finally {
      sandbox.cleanup();
    }
  });
});
