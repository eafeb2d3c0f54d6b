// Where Codex keeps its things. Kept apart from config.ts so that knowing the path does not load
// the TOML parser (the header helper often needs the path and not the parse).
import os from 'node:os';
import path from 'node:path';

/** `$CODEX_HOME`, else `~/.codex`. */
export function codexHome(env: NodeJS.ProcessEnv): string {
  return env.CODEX_HOME ? path.resolve(env.CODEX_HOME) : path.join(env.HOME || os.homedir(), '.codex');
}

/** `override` > `$CODEX_HOME/config.toml` > `~/.codex/config.toml`. */
export function codexConfigPath(env: NodeJS.ProcessEnv, override?: string): string {
  if (override) return path.resolve(override);
  return path.join(codexHome(env), 'config.toml');
}
