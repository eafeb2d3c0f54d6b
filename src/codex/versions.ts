// Everything codex-auth knows about Codex releases, in one place: which release brought what,
// and how to learn the version of a codex binary cheaply (run and login ask on every launch).
import { execFileSync } from 'node:child_process';
import { readFileSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { ensurePrivateDir, writeFileAtomic } from '../store/atomic.ts';
import { readJsonFile } from '../store/json-file.ts';

/** The first release with each behaviour codex-auth depends on (checked by running each). */
export const CODEX_RELEASES = {
  /**
   * Codex knows `http_headers_helper` and runs it. Up to `headersHelper` it refuses a returned
   * Authorization ("MCP HTTP headers helper returned a reserved header") and the server fails to
   * start, so a helper-wired entry needs its helper replaced for the launch (0.150.1 checked).
   */
  helperKey: '0.148.0',
  /**
   * `http_headers_helper` may set Authorization. 0.148.0 accepts the key, but up to 0.151.0 it
   * refuses Authorization as "a reserved header"; 0.152.0 sends it and re-runs the helper after
   * a 401 (retrying the request once when the helper's headers changed).
   */
  headersHelper: '0.152.0',
  /**
   * MCP runs in a shared background server; a `-c` on the interactive TUI forces "embedded mode".
   */
  backgroundServer: '0.157.0',
} as const;

export type CodexFeature = keyof typeof CODEX_RELEASES;

/** Numeric comparison of `x.y.z` (a pre-release suffix is ignored). */
export function compareVersions(a: string, b: string): number {
  const parts = (version: string) => version.split(/[-+]/)[0]!.split('.').map((part) => Number(part) || 0);
  const [x, y] = [parts(a), parts(b)];
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const difference = (x[i] ?? 0) - (y[i] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}

/** An unknown version counts as a current release: one codex-auth cannot tell is not an old npm one. */
export function hasFeature(version: string | undefined, feature: CodexFeature): boolean {
  return version === undefined || compareVersions(version, CODEX_RELEASES[feature]) >= 0;
}

interface CachedVersion {
  size: number;
  mtimeMs: number;
  /** null: the binary was asked and did not say; it is not asked again until it changes. */
  version: string | null;
}

/**
 * The version of the codex at `file`. The npm package's launcher sits next to a package.json
 * that says it, read in well under a millisecond; any other binary is asked once with
 * `--version` (70 ms or more) and the answer cached by its path, size and modification time.
 * Undefined when it cannot be told.
 */
export function codexVersion(file: string, cacheFile: string): string | undefined {
  let real: string;
  try {
    real = realpathSync(file);
  } catch {
    return undefined;
  }
  const fromPackage = npmPackageVersion(real);
  if (fromPackage) return fromPackage;
  let stat: { size: number; mtimeMs: number };
  try {
    stat = statSync(real);
  } catch {
    return undefined;
  }
  const cache = readCache(cacheFile);
  const cached = cache[real];
  if (cached && cached.size === stat.size && cached.mtimeMs === stat.mtimeMs) return cached.version ?? undefined;
  const version = askVersion(real);
  try {
    ensurePrivateDir(dirname(cacheFile));
    writeFileAtomic(cacheFile, JSON.stringify({ ...cache, [real]: { size: stat.size, mtimeMs: stat.mtimeMs, version: version ?? null } }, undefined, '\t'), { mode: 0o600 });
  } catch {
    // A cache that cannot be written costs the next launch 70 ms, nothing more.
  }
  return version;
}

function npmPackageVersion(launcher: string): string | undefined {
  if (basename(launcher) !== 'codex.js') return undefined;
  try {
    const manifest = JSON.parse(readFileSync(join(dirname(launcher), '..', 'package.json'), 'utf8')) as { name?: unknown; version?: unknown };
    return manifest.name === '@openai/codex' && typeof manifest.version === 'string' ? manifest.version : undefined;
  } catch {
    return undefined;
  }
}

function askVersion(file: string): string | undefined {
  try {
    const output = execFileSync(file, ['--version'], { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'ignore'] });
    return /\b(\d+\.\d+\.\d+)\b/.exec(output)?.[1];
  } catch {
    return undefined;
  }
}

function readCache(file: string): Record<string, CachedVersion> {
  try {
    return readJsonFile<Record<string, CachedVersion>>(file);
  } catch {
    return {};
  }
}
