// User settings for codex-auth itself: settings.json in CODEX_AUTH_HOME, owned by
// `conf` (schema-validated, atomic, 0600). `run` reads them on every launch, so conf
// is loaded only when the file exists; environment variables override for one shell.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type Conf from 'conf';
import { CodexAuthError } from '../errors.ts';
import { shellCommand } from '../shell.ts';
import { ensurePrivateDir } from './atomic.ts';
import type { StatePaths } from './paths.ts';

export interface Settings {
  /** Route MCP traffic through the session proxy in `run` (default true). */
  proxy: boolean;
  /** Minutes before expiry to refresh a token handed over in a launched program's environment (at most a quarter of its lifetime: session/policy.ts). */
  refreshMarginMinutes: number;
}

export type SettingName = keyof Settings;

export const DEFAULT_SETTINGS: Settings = { proxy: true, refreshMarginMinutes: 15 };

const SCHEMA = {
  proxy: { type: 'boolean' },
  refreshMarginMinutes: { type: 'number', minimum: 0 },
} as const;

export function settingsFile(paths: StatePaths): string {
  return join(paths.home, 'settings.json');
}

function settingsError(paths: StatePaths, error: unknown): CodexAuthError {
  return new CodexAuthError({
    kind: 'config',
    step: 'settings',
    message: `the settings file ${settingsFile(paths)} is not valid: ${(error as Error).message}`,
    // `config set` reads the file first, so it cannot be the way out: removing the file is.
    hint: `fix the JSON by hand, or remove the file (${shellCommand(['rm', settingsFile(paths)])}) and set again what you need with codex-auth config set <name> <value>`,
    cause: error,
  });
}

/** settings.json through conf; validation errors become a clear config error. */
export async function openSettings(paths: StatePaths): Promise<Conf<Partial<Settings>>> {
  ensurePrivateDir(paths.home);
  const { default: ConfStore } = await import('conf');
  try {
    return new ConfStore<Partial<Settings>>({
      cwd: paths.home,
      configName: 'settings',
      configFileMode: 0o600,
      accessPropertiesByDotNotation: false,
      schema: SCHEMA,
    });
  } catch (error) {
    throw settingsError(paths, error);
  }
}

function invalidVariable(name: string, value: string, expected: string): CodexAuthError {
  return new CodexAuthError({
    kind: 'usage',
    step: 'settings',
    message: `${name}=${JSON.stringify(value)} is not ${expected}`,
    hint: `set ${name} to ${expected}, or unset it`,
  });
}

/** The settings the environment overrides; an empty variable counts as unset, a bad value is an error. */
export function settingsFromEnv(env: NodeJS.ProcessEnv): Partial<Settings> {
  const partial: Partial<Settings> = {};
  const proxy = env.CODEX_AUTH_PROXY;
  if (proxy) {
    if (!/^(0|1|true|false|yes|no|on|off)$/i.test(proxy)) throw invalidVariable('CODEX_AUTH_PROXY', proxy, '0 or 1 (or true/false, yes/no, on/off)');
    partial.proxy = /^(1|true|yes|on)$/i.test(proxy);
  }
  const margin = env.CODEX_AUTH_REFRESH_MARGIN;
  if (margin) {
    if (!/^\d+(\.\d+)?$/.test(margin)) throw invalidVariable('CODEX_AUTH_REFRESH_MARGIN', margin, 'a number of minutes, 0 or more');
    partial.refreshMarginMinutes = Number(margin);
  }
  return partial;
}

/** Defaults, then settings.json, then the environment. */
export async function loadSettings(paths: StatePaths, env: NodeJS.ProcessEnv): Promise<Settings> {
  const stored = existsSync(settingsFile(paths)) ? (await openSettings(paths)).store : {};
  return { ...DEFAULT_SETTINGS, ...stored, ...settingsFromEnv(env) };
}
