// Per-server state (grant, rewrite record) and per-issuer client registrations,
// each in its own small JSON file, so that two processes working on different
// servers never overwrite each other's file.
import { readdirSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { CodexAuthError } from '../errors.ts';
import type { CredentialBinding, CredentialBindings } from '../oauth/client-binding.ts';
import type { Grant } from '../oauth/flow.ts';
import type { ClientRecord, ClientStore } from '../oauth/registration.ts';
import { parseScopeList } from '../oauth/scopes.ts';
import type { TokenSet } from '../oauth/tokens.ts';
import { ensurePrivateDir, writeFileAtomic } from './atomic.ts';
import { shellCommand } from '../shell.ts';
import { NOT_AN_OBJECT, readJsonFile } from './json-file.ts';
import { withServerLockSync } from './lock-sync.ts';
import { credentialFileName, issuerFileName, serverFileName } from './names.ts';
import type { StatePaths } from './paths.ts';

/**
 * How Codex gets the server's token: Codex runs `codex-auth headers` (http_headers_helper), or
 * reads the variable `bearer_token_env_var` names from its environment.
 */
export type Wiring = 'helper' | 'environment';

/** How the config entry is wired, and what `unpatch` needs to put it back exactly as it was. */
export interface RewriteRecord {
  configPath: string;
  /** Absent in records written before codex-auth used helpers: those are `environment`. */
  wiring?: Wiring;
  /** The variable codex-auth hands the token in, for environment wiring and commands `run` starts. */
  varName: string;
  /** The exact command written as http_headers_helper (helper wiring). */
  helperCommand?: string;
  /** The Codex version the wiring was chosen for, when one was known. */
  decidedFor?: string;
  /** The user's own `key = value` text that `--force` replaced, put back byte for byte by unpatch. */
  replacedText?: string;
  /** Older records: the value of the user's own bearer_token_env_var that `--force` replaced. */
  previousValue?: string;
  /** The exact text login appended for an entry only a project defined (its url): unpatch takes it out again. */
  appendedText?: string;
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
  /** Login found the server answering without authorization: nothing to log in to (yet). */
  open?: { since: number };
}

type ServerFile = Omit<ServerState, 'serverName'> & { serverName?: string };

const FILE_MODE = 0o600;

/**
 * A server file in today's format. Files written before the granted scope was kept as a list
 * hold it as the server's string (`tokens.scope`, space- or comma-separated).
 */
function currentFormat(file: ServerFile): ServerFile {
  const tokens = file.grant?.tokens as (TokenSet & { scope?: unknown }) | undefined;
  if (tokens && typeof tokens.scope === 'string') {
    const { scope, ...current } = tokens;
    file.grant = { ...file.grant!, tokens: { ...current, scopes: tokens.scopes ?? parseScopeList(scope) } };
  }
  return file;
}

function readServerFile(path: string): ServerFile {
  return currentFormat(readStateFile<ServerFile>(path));
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
  const damaged = cause instanceof SyntaxError || (cause instanceof Error && cause.message === NOT_AN_OBJECT);
  return new CodexAuthError({
    kind: 'storage',
    step: 'state',
    message: `cannot use codex-auth state file ${path}: ${detail}`,
    hint: damaged ? damagedFileFix(path, serverNameOfFile(path)) : 'check the permissions of the codex-auth directory (CODEX_AUTH_HOME)',
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

/** The server a state file belongs to, when its name says so (hashed names do not). */
function serverNameOfFile(path: string): string | undefined {
  const stem = basename(path, '.json');
  if (basename(dirname(path)) !== 'servers' || /^x-[0-9a-f]{24}$/.test(stem) || serverFileName(stem) !== stem) return undefined;
  return stem;
}

/** How to get rid of a damaged server file: logout removes it when the name is known, else remove it by hand. */
function damagedFileFix(path: string, serverName: string | undefined): string {
  if (serverName !== undefined) return `run ${shellCommand(['codex-auth', 'logout', serverName])} (it removes the file), then ${shellCommand(['codex-auth', 'login', serverName])}`;
  return `remove it (${shellCommand(['rm', path])}) and log in to that server again`;
}

export class StateStore {
  private readonly reported = new Set<string>();

  /** `warn` hears of damaged state files that are skipped, once per file. */
  constructor(
    readonly paths: StatePaths,
    private readonly warn: (message: string) => void = () => {},
  ) {}

  private serverFile(serverName: string): string {
    ensurePrivateDir(this.paths.home);
    ensurePrivateDir(this.paths.serversDir);
    return join(this.paths.serversDir, `${serverFileName(serverName)}.json`);
  }

  /** Reads the server's file afresh (callers inside a lock rely on this). */
  server(serverName: string): ServerState {
    return { ...readServerFile(this.serverFile(serverName)), serverName };
  }

  /**
   * Read, change, write, under the server's lock: another process refreshing this server at the
   * same moment holds it, and its rotated refresh token must not be overwritten with the old one.
   */
  private update(serverName: string, change: (file: ServerFile) => ServerFile): void {
    const path = this.serverFile(serverName);
    withServerLockSync(this.paths, serverName, () => writeStateFile(path, { ...change(readServerFile(path)), serverName }));
  }

  saveGrant(serverName: string, grant: Grant): void {
    this.update(serverName, ({ needsLogin: _dropped, open: _wasOpen, ...rest }) => ({ ...rest, grant }));
  }

  /** Remembers that the server answered without authorization, so `run` neither warns nor asks again. */
  markOpen(serverName: string, now: number): void {
    this.update(serverName, ({ needsLogin: _dropped, ...rest }) => ({ ...rest, open: { since: now } }));
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

  /**
   * Every server with a state file, for `status`, `run` and `logout`. A file that cannot be read is
   * skipped with a warning naming it and the fix: one damaged file must not stop Codex from starting.
   */
  knownServers(): ServerState[] {
    return this.serverFiles().flatMap((path) => {
      try {
        const data = currentFormat(readJsonFile<ServerFile>(path));
        return data.serverName ? [{ ...data, serverName: data.serverName }] : [];
      } catch (error) {
        this.reportDamaged(path, error);
        return [];
      }
    });
  }

  /** Servers whose state file cannot be read, as far as the file names tell (hashed names do not). */
  damagedServers(): string[] {
    return this.serverFiles().flatMap((path) => {
      const name = serverNameOfFile(path);
      return name !== undefined && this.damagedFile(name) ? [name] : [];
    });
  }

  private serverFiles(): string[] {
    try {
      return readdirSync(this.paths.serversDir).filter((file) => file.endsWith('.json')).map((file) => join(this.paths.serversDir, file));
    } catch {
      return [];
    }
  }

  /** The server's file when it exists but cannot be read (damaged, or not JSON); undefined otherwise. */
  damagedFile(serverName: string): string | undefined {
    const path = join(this.paths.serversDir, `${serverFileName(serverName)}.json`);
    try {
      readJsonFile(path);
      return undefined;
    } catch {
      return path;
    }
  }

  private reportDamaged(path: string, error: unknown): void {
    if (this.reported.has(path)) return;
    this.reported.add(path);
    this.warn(`skipping the damaged state file ${path} (${error instanceof Error ? error.message : String(error)}); to fix: ${damagedFileFix(path, serverNameOfFile(path))}`);
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

  /**
   * The issuer each user-given client secret (or private key) is bound to: one file per
   * credential, named by a hash, holding the issuer and the server whose login bound it.
   */
  credentialBindings(): CredentialBindings {
    const fileOf = (clientId: string, secret: string) => {
      ensurePrivateDir(this.paths.home);
      ensurePrivateDir(this.paths.credentialsDir);
      return join(this.paths.credentialsDir, `${credentialFileName(clientId, secret)}.json`);
    };
    return {
      find: ({ clientId, secret }) => {
        const path = fileOf(clientId, secret);
        const data = readStateFile<Partial<CredentialBinding> & { clientId?: string }>(path);
        if (data.clientId !== clientId || typeof data.issuer !== 'string') return undefined;
        return { issuer: data.issuer, serverName: data.serverName ?? '', boundAt: data.boundAt ?? 0, location: path };
      },
      bind: ({ clientId, secret }, issuer, serverName, now) => {
        writeStateFile(fileOf(clientId, secret), { clientId, issuer, serverName, boundAt: now });
      },
    };
  }
}
