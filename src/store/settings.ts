// User settings for codex-auth itself (settings.json in CODEX_AUTH_HOME), read
// through `conf`. Environment variables override them for one shell.
import Conf from 'conf';
import { ensurePrivateDir } from './atomic.ts';
import type { StatePaths } from './paths.ts';

export interface Settings {
  /** Route MCP traffic through the session proxy in `run` (default true). */
  proxy: boolean;
  /** Refresh tokens that expire within this many minutes before launching. */
  refreshMarginMinutes: number;
}

const DEFAULTS: Settings = { proxy: true, refreshMarginMinutes: 15 };

function fromEnv(env: NodeJS.ProcessEnv): Partial<Settings> {
  const partial: Partial<Settings> = {};
  if (env.CODEX_AUTH_PROXY !== undefined) partial.proxy = !/^(0|false|no|off)$/i.test(env.CODEX_AUTH_PROXY);
  const margin = Number(env.CODEX_AUTH_REFRESH_MARGIN);
  if (env.CODEX_AUTH_REFRESH_MARGIN && Number.isFinite(margin) && margin >= 0) partial.refreshMarginMinutes = margin;
  return partial;
}

export function loadSettings(paths: StatePaths, env: NodeJS.ProcessEnv): Settings {
  ensurePrivateDir(paths.home);
  const stored = new Conf<Partial<Settings>>({ cwd: paths.home, configName: 'settings', configFileMode: 0o600, accessPropertiesByDotNotation: false }).store;
  const merged = { ...DEFAULTS, ...stored, ...fromEnv(env) };
  return {
    proxy: typeof merged.proxy === 'boolean' ? merged.proxy : DEFAULTS.proxy,
    refreshMarginMinutes: typeof merged.refreshMarginMinutes === 'number' ? merged.refreshMarginMinutes : DEFAULTS.refreshMarginMinutes,
  };
}
