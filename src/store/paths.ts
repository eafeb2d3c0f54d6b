import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** Where codex-auth keeps its own state: never inside config.toml. */
export interface StatePaths {
  home: string;
  serversDir: string;
  clientsDir: string;
  /** User-given client secrets, each bound to its issuer (file names: a hash of id and secret). */
  credentialsDir: string;
  locksDir: string;
  envFile: string;
  /** Versions of codex binaries that had to be asked (`codex --version`), by path, size and mtime. */
  codexVersions: string;
}

/** `CODEX_AUTH_HOME`, else the platform's per-user config directory. */
export function codexAuthHome(env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): string {
  if (env.CODEX_AUTH_HOME) return resolve(env.CODEX_AUTH_HOME);
  const home = env.HOME || homedir();
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', 'codex-auth');
  if (platform === 'win32') return join(env.APPDATA || join(home, 'AppData', 'Roaming'), 'codex-auth');
  return join(env.XDG_CONFIG_HOME || join(home, '.config'), 'codex-auth');
}

export function statePaths(home: string): StatePaths {
  return {
    home,
    serversDir: join(home, 'servers'),
    clientsDir: join(home, 'clients'),
    credentialsDir: join(home, 'credentials'),
    locksDir: join(home, 'locks'),
    envFile: join(home, 'env'),
    codexVersions: join(home, 'codex-versions.json'),
  };
}
