// Per-server state (grant, rewrite record) and per-issuer client registrations,
// each in its own small JSON file through `conf`, so that two processes working
// on different servers never overwrite each other's file.
import Conf from 'conf';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { CodexAuthError } from '../errors.ts';
import type { Grant } from '../oauth/flow.ts';
import type { ClientRecord, ClientStore } from '../oauth/registration.ts';
import { ensurePrivateDir } from './atomic.ts';
import { issuerFileName, serverFileName } from './names.ts';
import type { StatePaths } from './paths.ts';

/** What `run`/`unpatch` need to put a config entry back exactly as it was. */
export interface RewriteRecord {
  configPath: string;
  varName: string;
  /** The user's own bearer_token_env_var that `--force` replaced, restored by unpatch. */
  previousValue?: string;
  appliedAt: number;
}

export interface ServerState {
  serverName: string;
  grant?: Grant;
  rewrite?: RewriteRecord;
  /** Set when tokens were dropped (invalid_grant, revoked): the next step is a fresh login. */
  needsLogin?: { reason: string; since: number };
}

type ServerFile = Omit<ServerState, 'serverName'> & { serverName?: string };

const FILE_MODE = 0o600;

function openConf<T extends Record<string, unknown>>(dir: string, name: string): Conf<T> {
  try {
    return new Conf<T>({
      cwd: dir,
      configName: name,
      configFileMode: FILE_MODE,
      accessPropertiesByDotNotation: false,
      clearInvalidConfig: false,
    });
  } catch (error) {
    throw storageError(join(dir, `${name}.json`), error);
  }
}

function storageError(path: string, cause: unknown): CodexAuthError {
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new CodexAuthError({
    kind: 'storage',
    step: 'state',
    message: `cannot use codex-auth state file ${path}: ${detail}`,
    hint: 'check the permissions of the codex-auth directory (CODEX_AUTH_HOME), or remove the damaged file and log in again',
    cause,
  });
}

export class StateStore {
  constructor(readonly paths: StatePaths) {}

  private serverConf(serverName: string): Conf<ServerFile> {
    ensurePrivateDir(this.paths.home);
    ensurePrivateDir(this.paths.serversDir);
    return openConf<ServerFile>(this.paths.serversDir, serverFileName(serverName));
  }

  private read<T>(conf: Conf<Record<string, unknown>>, path: string): T {
    try {
      return conf.store as T;
    } catch (error) {
      throw storageError(path, error);
    }
  }

  /** Reads the server's file afresh (callers inside a lock rely on this). */
  server(serverName: string): ServerState {
    const conf = this.serverConf(serverName);
    return { ...this.read<ServerFile>(conf as never, conf.path), serverName };
  }

  private update(serverName: string, change: (file: ServerFile) => ServerFile): void {
    const conf = this.serverConf(serverName);
    const next = change(this.read<ServerFile>(conf as never, conf.path));
    try {
      conf.store = { ...next, serverName };
    } catch (error) {
      throw storageError(conf.path, error);
    }
  }

  saveGrant(serverName: string, grant: Grant): void {
    this.update(serverName, ({ needsLogin: _dropped, ...rest }) => ({ ...rest, grant }));
  }

  /** Forgets the tokens (never the registration) and remembers why. */
  dropGrant(serverName: string, reason: string, now: number): void {
    this.update(serverName, ({ grant: _dropped, ...rest }) => ({ ...rest, needsLogin: { reason, since: now } }));
  }

  saveRewrite(serverName: string, rewrite: RewriteRecord): void {
    this.update(serverName, (file) => ({ ...file, rewrite }));
  }

  clearRewrite(serverName: string): void {
    this.update(serverName, ({ rewrite: _dropped, ...rest }) => rest);
  }

  /** Deletes everything codex-auth knows about the server. */
  forgetServer(serverName: string): void {
    const path = join(this.paths.serversDir, `${serverFileName(serverName)}.json`);
    try {
      rmSync(path, { force: true });
    } catch (error) {
      throw storageError(path, error);
    }
  }

  /** Names of every server with a state file, for `status` and `run`. */
  knownServers(): ServerState[] {
    let entries: string[];
    try {
      entries = readdirSync(this.paths.serversDir).filter((file) => file.endsWith('.json'));
    } catch {
      return [];
    }
    return entries.flatMap((file) => {
      const conf = openConf<ServerFile>(this.paths.serversDir, file.slice(0, -'.json'.length));
      const data = this.read<ServerFile>(conf as never, conf.path);
      return data.serverName ? [{ ...data, serverName: data.serverName }] : [];
    });
  }

  /** Registrations per authorization-server issuer: never shared across issuers. */
  clients(): ClientStore {
    const open = (issuer: string) => {
      ensurePrivateDir(this.paths.home);
      ensurePrivateDir(this.paths.clientsDir);
      return openConf<{ issuer?: string; client?: ClientRecord }>(this.paths.clientsDir, issuerFileName(issuer));
    };
    return {
      find: (issuer) => {
        const conf = open(issuer);
        const data = this.read<{ issuer?: string; client?: ClientRecord }>(conf as never, conf.path);
        return data.issuer === issuer && data.client?.issuer === issuer ? data.client : undefined;
      },
      save: (record) => {
        const conf = open(record.issuer);
        try {
          conf.store = { issuer: record.issuer, client: record };
        } catch (error) {
          throw storageError(conf.path, error);
        }
      },
    };
  }
}
