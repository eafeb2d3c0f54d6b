// One process at a time refreshes a given server's credential (rotating refresh
// tokens are revoked chain-wide when reused). proper-lockfile keeps the lock's
// mtime fresh while held, so a lock left by a crashed process goes stale and is broken.
import lockfile from 'proper-lockfile';
import { join } from 'node:path';
import { CodexAuthError } from '../errors.ts';
import { ensurePrivateDir } from './atomic.ts';
import { serverFileName } from './names.ts';
import type { StatePaths } from './paths.ts';

export interface LockOptions {
  /** How long a waiter waits before giving up with a clear message. */
  waitMs?: number;
  /** A bound on that wait, whatever waitMs or the environment say (a caller with a deadline). */
  waitAtMostMs?: number;
  /** A lock whose holder stopped refreshing it for this long is considered abandoned. */
  staleMs?: number;
}

const DEFAULT_WAIT_MS = 60_000;
const DEFAULT_STALE_MS = 10_000;
const RETRY_INTERVAL_MS = 100;

/** `CODEX_AUTH_LOCK_WAIT_MS` bounds the wait for another process's lock (tests shorten it). */
function waitFromEnv(env: NodeJS.ProcessEnv): number | undefined {
  const value = Number(env.CODEX_AUTH_LOCK_WAIT_MS);
  return Number.isInteger(value) && value >= 0 ? value : undefined;
}

export async function withServerLock<T>(
  paths: StatePaths,
  serverName: string,
  work: () => Promise<T>,
  options: LockOptions = {},
): Promise<T> {
  ensurePrivateDir(paths.home);
  ensurePrivateDir(paths.locksDir);
  const target = join(paths.locksDir, serverFileName(serverName));
  const waitMs = Math.min(options.waitMs ?? waitFromEnv(process.env) ?? DEFAULT_WAIT_MS, options.waitAtMostMs ?? Infinity);
  const staleMs = options.staleMs ?? DEFAULT_STALE_MS;
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(target, {
      realpath: false,
      stale: staleMs,
      update: Math.max(1000, Math.floor(staleMs / 3)),
      retries: { retries: Math.ceil(waitMs / RETRY_INTERVAL_MS), factor: 1, minTimeout: RETRY_INTERVAL_MS, maxTimeout: RETRY_INTERVAL_MS },
      // A compromised lock (its directory removed under us) must not crash the CLI.
      onCompromised: () => undefined,
    });
  } catch (error) {
    const busy = (error as NodeJS.ErrnoException).code === 'ELOCKED';
    throw new CodexAuthError({
      kind: 'storage',
      step: 'lock',
      server: serverName,
      message: busy
        ? `another codex-auth process has held the lock for ${serverName} for over ${formatSeconds(waitMs)}`
        : `cannot take the lock for ${serverName} at ${target}.lock: ${(error as Error).message}`,
      hint: busy
        ? `if no other codex-auth is running, remove ${target}.lock and try again`
        : 'check the permissions of the codex-auth directory (CODEX_AUTH_HOME)',
      cause: error,
    });
  }
  try {
    return await work();
  } finally {
    await release().catch(() => undefined);
  }
}

function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))} s`;
}
