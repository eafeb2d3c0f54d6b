// The per-server lock for the quick read-modify-write of a state file (store/state.ts), taken
// synchronously. It is the same lock `withServerLock` (lock.ts) takes with proper-lockfile, the
// directory `<locks>/<name>.lock`, so a state write waits for a refresh another process is making
// and cannot put back a refresh token that process has just rotated away. Written without
// proper-lockfile, which `run` and the header helper must not load.
import fs from 'node:fs';
import { join } from 'node:path';
import { CodexAuthError } from '../errors.ts';
import { shellCommand } from '../shell.ts';
import { ensurePrivateDir } from './atomic.ts';
import { serverFileName } from './names.ts';
import type { StatePaths } from './paths.ts';

export const DEFAULT_WAIT_MS = 60_000;
export const DEFAULT_STALE_MS = 10_000;
export const RETRY_INTERVAL_MS = 100;

/** Lock targets this process holds (through either function): taking one again would wait for ourselves. */
export const heldHere = new Set<string>();

/** `CODEX_AUTH_LOCK_WAIT_MS` bounds the wait for another process's lock (tests shorten it). */
export function waitFromEnv(env: NodeJS.ProcessEnv): number | undefined {
  const value = Number(env.CODEX_AUTH_LOCK_WAIT_MS);
  return Number.isInteger(value) && value >= 0 ? value : undefined;
}

export function lockTarget(paths: StatePaths, serverName: string): string {
  ensurePrivateDir(paths.home);
  ensurePrivateDir(paths.locksDir);
  return join(paths.locksDir, serverFileName(serverName));
}

export function lockError(serverName: string, target: string, waitMs: number, error: unknown): CodexAuthError {
  const busy = (error as NodeJS.ErrnoException).code === 'ELOCKED' || (error as NodeJS.ErrnoException).code === 'EEXIST';
  return new CodexAuthError({
    kind: 'storage',
    step: 'lock',
    server: serverName,
    message: busy
      ? `another codex-auth process has held the lock for ${serverName} for over ${Number((waitMs / 1000).toFixed(1))} s`
      : `cannot take the lock for ${serverName} at ${target}.lock: ${(error as Error).message}`,
    hint: busy ? `if no other codex-auth is running, remove the lock, ${shellCommand(['rm', '-r', `${target}.lock`])}, and try again` : 'check the permissions of the codex-auth directory (CODEX_AUTH_HOME)',
    cause: error,
  });
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Runs `work` holding the server's lock; waits (blocking) for another process to let it go. */
export function withServerLockSync<T>(paths: StatePaths, serverName: string, work: () => T): T {
  const target = lockTarget(paths, serverName);
  if (heldHere.has(target)) return work();
  const lockDir = `${target}.lock`;
  const waitMs = waitFromEnv(process.env) ?? DEFAULT_WAIT_MS;
  for (let waited = 0; ; waited += RETRY_INTERVAL_MS) {
    try {
      fs.mkdirSync(lockDir);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw lockError(serverName, target, waitMs, error);
      // A holder keeps the directory's mtime fresh; one that stopped doing so has crashed.
      const mtime = fs.statSync(lockDir, { throwIfNoEntry: false })?.mtimeMs;
      if (mtime !== undefined && Date.now() - mtime > DEFAULT_STALE_MS) {
        fs.rmSync(lockDir, { recursive: true, force: true });
        continue;
      }
      if (waited >= waitMs) throw lockError(serverName, target, waitMs, error);
      sleep(RETRY_INTERVAL_MS);
    }
  }
  heldHere.add(target);
  try {
    return work();
  } finally {
    heldHere.delete(target);
    fs.rmSync(lockDir, { recursive: true, force: true });
  }
}
