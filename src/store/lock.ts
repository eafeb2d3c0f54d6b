// One process at a time refreshes a given server's credential (rotating refresh
// tokens are revoked chain-wide when reused). proper-lockfile keeps the lock's
// mtime fresh while held, so a lock left by a crashed process goes stale and is broken.
import lockfile from 'proper-lockfile';
import { DEFAULT_STALE_MS, DEFAULT_WAIT_MS, heldHere, lockError, lockTarget, RETRY_INTERVAL_MS, waitFromEnv } from './lock-sync.ts';
import type { StatePaths } from './paths.ts';

export interface LockOptions {
  /** How long a waiter waits before giving up with a clear message. */
  waitMs?: number;
  /** A bound on that wait, whatever waitMs or the environment say (a caller with a deadline). */
  waitAtMostMs?: number;
  /** A lock whose holder stopped refreshing it for this long is considered abandoned. */
  staleMs?: number;
}

export async function withServerLock<T>(
  paths: StatePaths,
  serverName: string,
  work: () => Promise<T>,
  options: LockOptions = {},
): Promise<T> {
  const target = lockTarget(paths, serverName);
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
    throw lockError(serverName, target, waitMs, error);
  }
  heldHere.add(target);
  try {
    return await work();
  } finally {
    heldHere.delete(target);
    await release().catch(() => undefined);
  }
}
