// Crash safety: a process writing state, the env file or config.toml (the
// verified rewrite) is SIGKILLed at random moments. After every kill each file
// parses and is exactly the old or the new version; leftover temp files are counted.
import assert from 'node:assert/strict';
import { execa } from 'execa';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import TOML from '@iarna/toml';
import { rewriteEntries, unpatchEntries } from '../../src/codex/apply.ts';
import { renderEnvFile, writeEnvFile } from '../../src/codex/envfile.ts';
import { setEntryString } from '../../src/codex/rewrite.ts';
import { HELPER_KEY } from '../../src/codex/wiring.ts';
import { statePaths } from '../../src/store/paths.ts';
import { StateStore } from '../../src/store/state.ts';
import { bundleChild } from './bundle.ts';
import { envVersion, grantVersion, HELPER_COMMAND, HELPER_PLAN } from './children/versions.ts';

/** Kills per kind of file; three kinds. */
export const CRASH_TRIALS_PER_KIND = 70;
/** Kills land 0..this many ms after the writer starts its loop: a few writes' worth for each kind. */
const MAX_KILL_DELAY_MS: Record<string, number> = { state: 30, env: 30, config: 250 };
const SEED = Number(process.env.CODEX_AUTH_CRASH_SEED ?? 20250101);

/** A small deterministic generator, so a failing kill schedule can be replayed with the same seed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

const CONFIG = [
  '# my codex config',
  ...Array.from({ length: 400 }, (_, i) => `# padding line ${i}: makes the write span several blocks`),
  'model = "gpt-5"',
  '',
  '[mcp_servers.demo]',
  'url = "http://127.0.0.1:9/mcp"  # the server',
  '',
  '[mcp_servers.local]',
  'command = "echo"',
  '',
].join('\n');

describe('crash safety under SIGKILL', () => {
  const root = mkdtempSync(join(tmpdir(), 'codex-auth-crash-'));
  const stateDir = join(root, 'state');
  const configPath = join(root, 'config.toml');
  const store = new StateStore(statePaths(stateDir));
  const next = random(SEED);
  let writer: string;
  const figures: string[] = [];

  before(async () => {
    writer = await bundleChild(join(import.meta.dirname, 'children', 'crash-writer.ts'), root);
    writeFileSync(configPath, CONFIG, { mode: 0o600 });
    store.saveGrant('demo', grantVersion(0));
    writeEnvFile(store.paths.envFile, envVersion(0));
  });

  after(() => {
    console.log(`# crash figures (seed ${SEED}):\n${figures.map((line) => `#   ${line}`).join('\n')}`);
    rmSync(root, { recursive: true, force: true });
  });

  /** Starts the writer, lets it loop for a random moment, kills it with SIGKILL; returns its pid. */
  async function killMidWrite(kind: string): Promise<number> {
    const child = execa(process.execPath, [writer, kind, stateDir, configPath], { reject: false, stdin: 'ignore' });
    await new Promise<void>((resolve, reject) => {
      child.stdout!.once('data', () => resolve());
      void child.then((result) => reject(new Error(`writer exited before ready: ${String(result.stderr)}`)));
    });
    await new Promise((resolve) => setTimeout(resolve, Math.floor(next() * MAX_KILL_DELAY_MS[kind]!)));
    child.kill('SIGKILL');
    const result = await child;
    assert.equal(result.signal, 'SIGKILL', `the writer died of the kill, not of its own error: ${String(result.stderr)}`);
    return child.pid!;
  }

  /** Temp files of writeFileAtomic: `.<name>.<pid>.<random>.tmp`; returns the writer pids. */
  function tempFilePids(dirs: string[]): number[] {
    return dirs.flatMap((dir) => readdirSync(dir)).flatMap((name) => {
      if (!name.includes('.tmp')) return [];
      const match = /^\..+\.(\d+)\.[0-9a-f]{12}\.tmp$/.exec(name);
      assert.ok(match, `an unexpected temp file ${name}`);
      return [Number(match[1])];
    });
  }

  /**
   * Kills the writer CRASH_TRIALS_PER_KIND times, checking the files after each kill. A kill inside a
   * write leaves that writer's temp file; the next completed write removes it.
   */
  async function trials(kind: string, check: () => void, dirs: string[], cleanWrite: () => void): Promise<void> {
    const killed = new Set<number>();
    let midWrite = 0;
    let mostAtOnce = 0;
    for (let i = 0; i < CRASH_TRIALS_PER_KIND; i++) {
      const pid = await killMidWrite(kind);
      killed.add(pid);
      check();
      const left = tempFilePids(dirs);
      for (const owner of left) assert.ok(killed.has(owner), 'every temp file left belongs to a killed writer');
      if (left.includes(pid)) midWrite++;
      mostAtOnce = Math.max(mostAtOnce, left.length);
    }
    cleanWrite();
    check();
    assert.deepEqual(tempFilePids(dirs), [], 'one completed write removes every temp file crashed writers left');
    figures.push(`${kind}: ${CRASH_TRIALS_PER_KIND} kills (${midWrite} inside a write), every file old or new; at most ${mostAtOnce} temp file(s) at once, none after the next write`);
  }

  it(`state file: ${CRASH_TRIALS_PER_KIND} kills, always the old or the new grant`, async () => {
    const versions = [grantVersion(0), grantVersion(1)].map((grant) => JSON.stringify(grant));
    await trials(
      'state',
      () => {
        const file = JSON.parse(readFileSync(join(store.paths.serversDir, 'demo.json'), 'utf8')) as { grant: unknown };
        assert.ok(versions.includes(JSON.stringify(file.grant)), 'the grant is one of the two versions written');
      },
      [store.paths.serversDir],
      () => store.saveGrant('demo', grantVersion(0)),
    );
  });

  it(`env file: ${CRASH_TRIALS_PER_KIND} kills, always the old or the new content`, async () => {
    const versions = [renderEnvFile(envVersion(0)), renderEnvFile(envVersion(1))];
    await trials('env', () => assert.ok(versions.includes(readFileSync(store.paths.envFile, 'utf8')), 'env file is one of the two versions'), [stateDir], () =>
      writeEnvFile(store.paths.envFile, envVersion(Number(readFileSync(store.paths.envFile, 'utf8').includes('access-0')))),
    );
  });

  it(`config.toml rewrite: ${CRASH_TRIALS_PER_KIND} kills, always the original or the rewritten file, parseable`, async () => {
    const versions = [CONFIG, setEntryString(CONFIG, 'demo', HELPER_KEY, HELPER_COMMAND).text];
    await trials(
      'config',
      () => {
        const text = readFileSync(configPath, 'utf8');
        assert.ok(versions.includes(text), 'config.toml is the original or the rewritten file');
        TOML.parse(text);
        const backup = `${configPath}.codex-auth.bak`;
        if (existsSync(backup)) assert.equal(readFileSync(backup, 'utf8'), CONFIG, 'the backup, once written, holds the original');
        if (text !== CONFIG) assert.ok(store.server('demo').rewrite, 'a rewritten config.toml always has its record, so unpatch can take the wiring out');
      },
      [root, store.paths.serversDir],
      () => {
        const rewritten = readFileSync(configPath, 'utf8') !== CONFIG;
        if (rewritten) unpatchEntries(configPath, ['demo'], store);
        else rewriteEntries(configPath, ['demo'], store, { force: false, now: 1, plan: HELPER_PLAN });
      },
    );
  });
});

describe('a rotated refresh token is persisted before anything else', () => {
  const root = mkdtempSync(join(tmpdir(), 'codex-auth-refresh-crash-'));
  after(() => rmSync(root, { recursive: true, force: true }));

  it('killed at the first write or process start after the refresh answer, the new refresh token is already on disk', async () => {
    const stateDir = join(root, 'state');
    const configPath = join(root, 'config.toml');
    const logFile = join(root, 'trap.log');
    const store = new StateStore(statePaths(stateDir));
    const expired = grantVersion(0);
    writeFileSync(configPath, `[mcp_servers.demo]\nurl = "${expired.mcpUrl}"\nbearer_token_env_var = "CODEX_AUTH_DEMO_TOKEN"\n`, { mode: 0o600 });
    store.saveGrant('demo', expired);
    store.saveRewrite('demo', { configPath, varName: 'CODEX_AUTH_DEMO_TOKEN', appliedAt: 1 });
    const newRefreshToken = `refresh-rotated-${Date.now()}`;

    const child = await bundleChild(join(import.meta.dirname, 'children', 'refresh-then-crash.ts'), root);
    const result = await execa(process.execPath, [child, stateDir, configPath, logFile, newRefreshToken], { reject: false, stdin: 'ignore' });

    assert.equal(result.signal, 'SIGKILL', `the child reached the trap: ${String(result.stderr)}`);
    const events = readFileSync(logFile, 'utf8').trim().split('\n');
    assert.equal(events[0], 'refresh answer arrived');
    assert.match(events.at(-1)!, /^stopped before /);
    assert.ok(events.slice(1, -1).every((event) => event.startsWith(`allowed `) && event.includes(store.paths.serversDir)), 'only the state file was written in between');
    assert.equal(store.server('demo').grant?.tokens.refreshToken, newRefreshToken, 'the new refresh token is on disk');
    assert.equal(store.server('demo').grant?.tokens.accessToken, 'access-after-refresh');
    console.log(`# refresh persisted first: ${events.join(' | ').replaceAll(root, '<tmp>')}`);
  });
});
