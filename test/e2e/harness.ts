// A sandbox per test: its own HOME, CODEX_HOME and CODEX_AUTH_HOME in a temp
// folder, and the built CLI run as a real process, so tests never touch the
// real home directory and exercise exactly what a user runs.
import { execa } from 'execa';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { serverFileName } from '../../src/store/names.ts';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI = join(ROOT, 'bin', 'codex-auth.js');

export interface Sandbox {
  root: string;
  home: string;
  codexHome: string;
  stateDir: string;
  configPath: string;
  env: NodeJS.ProcessEnv;
  writeConfig(text: string): void;
  readConfig(): string;
  cleanup(): void;
}

export function createSandbox(extraEnv: NodeJS.ProcessEnv = {}): Sandbox {
  const root = mkdtempSync(join(tmpdir(), 'codex-auth-test-'));
  const home = join(root, 'home');
  const codexHome = join(home, '.codex');
  const stateDir = join(root, 'state');
  mkdirSync(codexHome, { recursive: true });
  const configPath = join(codexHome, 'config.toml');
  const env: NodeJS.ProcessEnv = {
    PATH: `${join(ROOT, 'node_modules', '.bin')}:${process.env.PATH ?? ''}`,
    HOME: home,
    CODEX_HOME: codexHome,
    CODEX_AUTH_HOME: stateDir,
    NO_COLOR: '1',
    LANG: 'C.UTF-8',
    ...extraEnv,
  };
  return {
    root,
    home,
    codexHome,
    stateDir,
    configPath,
    env,
    writeConfig: (text) => writeFileSync(configPath, text, { mode: 0o600 }),
    readConfig: () => readFileSync(configPath, 'utf8'),
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Every line a test captured, so a secret scan can cover all of it. */
export const capturedOutput: string[] = [];

/**
 * A finished child's exit code, as a shell reports it. A child the test's timeout killed fails the
 * test saying so, and one killed by a signal gets 128 + its number: read as 1, either looked exactly
 * like codex-auth's own "unexpected failure" and hid what happened.
 */
export function exitStatus(result: { exitCode?: number; signal?: string; timedOut: boolean; command: string; stderr: unknown }): number {
  if (result.timedOut) throw new Error(`${result.command} did not finish within its timeout (killed with ${result.signal}); its stderr:\n${String(result.stderr)}`);
  if (result.exitCode !== undefined) return result.exitCode;
  return 128 + (constants.signals[result.signal as NodeJS.Signals] ?? 0);
}

export async function runCli(sandbox: Sandbox, args: string[], options: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number; cwd?: string; uid?: number } = {}): Promise<CliResult> {
  const result = await execa(process.execPath, [CLI, ...args], {
    env: { ...sandbox.env, ...options.env },
    extendEnv: false,
    reject: false,
    cwd: options.cwd ?? sandbox.root,
    timeout: options.timeoutMs ?? 60_000,
    ...(options.uid === undefined ? {} : { uid: options.uid, gid: options.uid }),
    ...(options.input !== undefined ? { input: options.input } : { stdin: 'ignore' }),
  });
  const out = { code: exitStatus(result), stdout: String(result.stdout), stderr: String(result.stderr) };
  capturedOutput.push(out.stdout, out.stderr);
  return out;
}

/** No secret the test issued may appear in anything the CLI printed. */
export function assertNoSecrets(outputs: string[], secrets: Array<string | undefined>): void {
  for (const secret of secrets) {
    if (!secret || secret.length < 8) continue;
    for (const output of outputs) assert.ok(!output.includes(secret), 'a secret appeared in captured output');
  }
}

export function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

export function serverStateFile(sandbox: Sandbox, name: string): string {
  return join(sandbox.stateDir, 'servers', `${serverFileName(name)}.json`);
}

/** Every file under `dir` with its bytes and mtime, to show that a command changed nothing on disk. */
export function snapshotTree(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (current: string) => {
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      const path = join(current, entry.name);
      if (entry.isDirectory()) {
        files[`${path}/`] = 'directory';
        walk(path);
      } else files[path] = `${statSync(path).mtimeMs} ${readFileSync(path, 'base64')}`;
    }
  };
  walk(dir);
  return files;
}

/** A fresh sandbox (with `config` as its config.toml when given) for `body`, removed afterwards. */
export async function withSandbox(config: string | undefined, body: (sandbox: Sandbox) => Promise<void>): Promise<void> {
  const sandbox = createSandbox();
  try {
    if (config !== undefined) sandbox.writeConfig(config);
    await body(sandbox);
  } finally {
    sandbox.cleanup();
  }
}
