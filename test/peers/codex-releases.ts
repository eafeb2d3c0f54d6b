// Codex releases the lockfile cannot hold, installed from the npm registry on first use into
// node_modules/.cache/codex-releases/<version>/: a clean clone fetches each once, reruns reuse it.
//
// Why not a devDependency: @openai/codex@0.150.1 names six platform builds as optionalDependencies
// (`npm:@openai/codex@0.150.1-<platform>`), but only 0.150.1-linux-x64 was published, so npm cannot
// write a lockfile holding them and `npm ci` fails ("Missing: @openai/codex-darwin-arm64 from lock
// file"). `npm install --no-save --prefix <dir>` skips the unpublished ones.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import lockfile from 'proper-lockfile';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CODEX_RELEASES_DIR = join(ROOT, 'node_modules', '.cache', 'codex-releases');

/** npm fetches ~100 MB (6 s here): minutes mean the registry is not answering. */
const INSTALL_TIMEOUT_MS = 240_000;
// npm's own settings a test run may pass down in the environment that still apply to this install
// (where the registry is and how to reach it); anything about prefix, cache or the project is dropped.
// npm still reads the person's npmrc (registry, proxy, CA) but writes only into the cache it is given.
const KEPT_NPM_SETTINGS = /^npm_config_(registry|@.*:registry|proxy|https_proxy|noproxy|cafile|ca|strict_ssl|userconfig|globalconfig)$/i;

function launcherIn(dir: string): string {
  return join(dir, 'node_modules', '@openai', 'codex', 'bin', 'codex.js');
}

export interface ProvideOptions {
  /** Where releases are kept (default: node_modules/.cache/codex-releases). */
  dir?: string;
  /** A bound on the install, and on the wait for another process installing it. */
  timeoutMs?: number;
  /** The registry to install from, instead of npm's configured one. */
  registry?: string;
}

/** What a person runs to install the release where the tests look for it (and to see npm's own error). */
function manualCommand(version: string, target: string): string {
  return `npm install --no-save --prefix ${relative(process.cwd(), target) || '.'} @openai/codex@${version}`;
}

/** The launcher (bin/codex.js) of a release provideCodexRelease installed; throws when it is not there. */
export function installedCodexRelease(version: string, dir = CODEX_RELEASES_DIR): string {
  const launcher = launcherIn(join(dir, version));
  if (!existsSync(launcher)) throw new Error(`Codex ${version} is not installed: a test using it must first \`await provideCodexRelease('${version}')\``);
  return launcher;
}

/**
 * Installs `@openai/codex@<version>` unless an earlier run did; returns its launcher. One process
 * installs at a time (a lock next to the directory), into a temp directory renamed into place only
 * once the release answers `--version`, so a killed install never looks finished. Fails (never
 * skips) with the reason and the command to run when the registry cannot be reached or has no
 * build of the release for this platform.
 */
export async function provideCodexRelease(version: string, options: ProvideOptions = {}): Promise<string> {
  const { dir = CODEX_RELEASES_DIR, timeoutMs = INSTALL_TIMEOUT_MS } = options;
  const target = join(dir, version);
  if (existsSync(target)) return installedCodexRelease(version, dir);
  mkdirSync(dir, { recursive: true });
  const release = await lockfile
    .lock(target, {
      realpath: false,
      lockfilePath: `${target}.lock`,
      stale: 30_000,
      update: 10_000,
      // Another test file installing the same release: wait for it rather than fetch it twice.
      retries: { retries: Math.ceil(timeoutMs / 1_000), factor: 1, minTimeout: 1_000, maxTimeout: 1_000 },
      onCompromised: () => undefined,
    })
    .catch((error: Error) => {
      throw new Error(`cannot provide Codex ${version} for the tests: another process held ${target}.lock for ${timeoutMs / 1000} s (${error.message}); next: run the tests again once it has finished`);
    });
  try {
    if (!existsSync(target)) await install(version, dir, timeoutMs, options.registry);
  } finally {
    await release().catch(() => undefined);
  }
  return installedCodexRelease(version, dir);
}

async function install(version: string, dir: string, timeoutMs: number, registry: string | undefined): Promise<void> {
  // Only the lock holder installs, so a temp directory found now belongs to a killed install.
  for (const entry of readdirSync(dir)) {
    if (entry.startsWith(`${version}.partial-`)) rmSync(join(dir, entry), { recursive: true, force: true });
  }
  const target = join(dir, version);
  const partial = `${target}.partial-${process.pid}`;
  mkdirSync(partial);
  const fail = (reason: string, next = `run \`${manualCommand(version, target)}\` (it needs the npm registry) and run the tests again`): never => {
    rmSync(partial, { recursive: true, force: true });
    throw new Error(`cannot provide Codex ${version} for the tests: ${reason}; next: ${next}`);
  };
  // An npm cache of its own: the tests never touch ~/.npm. Deleted once the release is installed.
  const npmCache = join(partial, '.npm-cache');
  const args = ['install', '--no-save', '--no-audit', '--no-fund', '--no-update-notifier', '--ignore-scripts', '--prefix', partial, '--cache', npmCache, ...(registry ? ['--registry', registry] : []), `@openai/codex@${version}`];
  const npm = await runBounded(npmCommand(args), partial, timeoutMs);
  if (npm.timedOut) fail(`npm did not finish within ${timeoutMs / 1000} s (is the registry reachable?)`);
  if (npm.code !== 0) fail(`npm install failed (exit ${npm.code}): ${npmError(npm.output)}`);
  const platform = `${process.platform}-${process.arch}`;
  if (!existsSync(join(partial, 'node_modules', '@openai', `codex-${platform}`))) {
    fail(`the npm registry has no build of it for ${platform}`, `run these tests where a build of it was published (for 0.150.1: linux x64 only); \`npm view @openai/codex@${version}-${platform} version\` answers where there is one`);
  }
  // Codex writes under its home even for --version: a temp one, never the real HOME's ~/.codex.
  const codexHome = join(partial, '.codex-home');
  mkdirSync(codexHome);
  const answer = await runBounded({ file: process.execPath, args: [launcherIn(partial), '--version'], env: { HOME: codexHome, CODEX_HOME: codexHome } }, partial, 30_000);
  if (answer.code !== 0 || !answer.output.includes(version)) fail(`the installed codex answered \`--version\` with ${JSON.stringify(answer.output.trim().slice(0, 300))} (exit ${answer.code})`);
  rmSync(npmCache, { recursive: true, force: true });
  rmSync(codexHome, { recursive: true, force: true });
  renameSync(partial, target);
}

/** The npm running this test (npm test sets npm_execpath), else the one on PATH. */
function npmCommand(args: string[]): { file: string; args: string[] } {
  const execPath = process.env.npm_execpath;
  if (execPath && /npm-cli\.[cm]?js$/.test(execPath)) return { file: process.execPath, args: [execPath, ...args] };
  return { file: 'npm', args };
}

function runBounded(command: { file: string; args: string[]; env?: Record<string, string> }, cwd: string, timeoutMs: number): Promise<{ code: number | null; output: string; timedOut: boolean }> {
  const env = { ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name) || KEPT_NPM_SETTINGS.test(name))), ...command.env };
  return new Promise((resolve) => {
    const child = spawn(command.file, command.args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    // The start says what failed; the rest is stack frames.
    const collect = (chunk: Buffer) => (output = (output + chunk.toString()).slice(0, 8_192));
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve({ code: null, output: `${output}${error.message}`, timedOut });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output, timedOut });
    });
  });
}

/** npm's own words on what failed (`code E…` and the message), without its stack and the log file it names (deleted with the temp directory). */
function npmError(output: string): string {
  const said = output
    .split('\n')
    .filter((line) => line.startsWith('npm error'))
    .map((line) => line.slice('npm error'.length).trim())
    .filter((line) => line !== '' && !/^(at |syscall |errno |A complete log|[{}])/.test(line));
  return said.slice(0, 2).join(' | ') || output.trim().slice(0, 300) || 'no output';
}
