// Per-server state (grant, rewrite record) and per-issuer client registrations,
// each in its own small JSON file, so that two processes working on different
// servers never overwrite each other's file.
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { CodexAuthError } from '../errors.ts';
import type { Grant } from '../oauth/flow.ts';
import type { ClientRecord, ClientStore } from '../oauth/registration.ts';
import { parseScopeList } from '../oauth/scopes.ts';
import type { TokenSet } from '../oauth/tokens.ts';
import { ensurePrivateDir, writeFileAtomic } from './atomic.ts';
import { readJsonFile } from './json-file.ts';
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
  /** `login --client-name`: the client_name every later registration for this server sends. */
  clientName?: string;
}

type ServerFile = Omit<ServerState, 'serverName'> & { serverName?: string };

const FILE_MODE = 0o600;

/**
 * A server file as it is on disk, in today's format. Files written before the granted scope was
 * kept as a list hold it as the server's string (`tokens.scope`, space- or comma-separated).
 */
function readServerFile(path: string): ServerFile {
  const file = readStateFile<ServerFile>(path);
  const tokens = file.grant?.tokens as (TokenSet & { scope?: unknown }) | undefined;
  if (tokens && typeof tokens.scope === 'string') {
    const { scope, ...current } = tokens;
    file.grant = { ...file.grant!, tokens: { ...current, scopes: tokens.scopes ?? parseScopeList(scope) } };
  }
  return file;
}

/** Reads a state file (`{}` when absent) straight from disk: `run` reads these on every launch. */
function readStateFile<T extends object>(path: string): T {
  try {
    return readJsonFile<T>(path);
  } catch (error) {
    throw storageError(path, error);
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

/**
 * Writes a state file (tab-indented JSON, 0600) through writeFileAtomic: its temp files name their
 * writer, so those a crashed process leaves are cleaned up by the next write.
 */
function writeStateFile(path: string, value: Record<string, unknown>): void {
  try {
    writeFileAtomic(path, JSON.stringify(value, undefined, '\t'), { mode: FILE_MODE, step: 'state' });
  } catch (error) {
    throw storageError(path, error);
  }
}

export class StateStore {
  constructor(readonly paths: StatePaths) {}

  private serverFile(serverName: string): string {
    ensurePrivateDir(this.paths.home);
    ensurePrivateDir(this.paths.serversDir);
    return join(this.paths.serversDir, `${serverFileName(serverName)}.json`);
  }

  /** Reads the server's file afresh (callers inside a lock rely on this). */
  server(serverName: string): ServerState {
    return { ...readServerFile(this.serverFile(serverName)), serverName };
  }

  private update(serverName: string, change: (file: ServerFile) => ServerFile): void {
    const path = this.serverFile(serverName);
    writeStateFile(path, { ...change(readServerFile(path)), serverName });
  }

  saveGrant(serverName: string, grant: Grant): void {
    this.update(serverName, ({ needsLogin: _dropped, ...rest }) => ({ ...rest, grant }));
  }

  /**
   * Forgets the tokens and remembers why. The issuer's registration goes too only when given
   * (`rejectedClient`: the server no longer knows it), so the next login registers afresh.
   */
  dropGrant(serverName: string, reason: string, now: number, rejectedClient?: ClientRecord): void {
    this.update(serverName, ({ grant: _dropped, ...rest }) => ({ ...rest, needsLogin: { reason, since: now } }));
    if (rejectedClient) this.clients().forget(rejectedClient);
  }

  rememberClientName(serverName: string, clientName: string): void {
    this.update(serverName, (file) => ({ ...file, clientName }));
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
      const data = readServerFile(join(this.paths.serversDir, file));
      return data.serverName ? [{ ...data, serverName: data.serverName }] : [];
    });
  }

  /** Registrations per authorization-server issuer: never shared across issuers. */
  clients(): ClientStore {
    const fileOf = (issuer: string) => {
      ensurePrivateDir(this.paths.home);
      ensurePrivateDir(this.paths.clientsDir);
      return join(this.paths.clientsDir, `${issuerFileName(issuer)}.json`);
    };
    return {
      find: (issuer) => {
        const data = readStateFile<{ issuer?: string; client?: ClientRecord }>(fileOf(issuer));
        return data.issuer === issuer && data.client?.issuer === issuer ? data.client : undefined;
      },
      save: (record) => writeStateFile(fileOf(record.issuer), { issuer: record.issuer, client: record }),
      // Only the registration that was rejected: another login may have replaced it meanwhile.
      forget: (record) => {
        const path = fileOf(record.issuer);
        if (readStateFile<{ client?: ClientRecord }>(path).client?.clientId !== record.clientId) return;
        try {
          rmSync(path, { force: true });
        } catch (error) {
          throw storageError(path, error);
        }
      },
    };
  }
}
