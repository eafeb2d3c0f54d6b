// What `codex-auth headers` remembers between the calls Codex makes. Codex runs the helper once per
// new thread, and again when the server answers 401 to a request; both calls look exactly alike
// (same arguments, same environment), and Codex retries the request only if the headers changed.
// So the helper remembers which token it last handed out for each server and when: the same token
// asked for again soon after (or a token with no known expiry asked for again at all) may be Codex
// retrying after a rejection, and is checked with the server before it is handed out again.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import type { LayerFootprint } from '../codex/layer-footprint.ts';
import { ensurePrivateDir } from '../store/atomic.ts';
import { readJsonFile } from '../store/json-file.ts';
import { serverFileName } from '../store/names.ts';
import type { StatePaths } from '../store/paths.ts';

/**
 * A repeat within this long may be a retry: Codex re-runs the helper some 50 ms after a 401 at
 * thread start, and a model's next tool call usually follows within a minute.
 */
export const RETRY_WINDOW_MS = 60_000;

export interface Handout {
  /** A hash of the access token handed out, never the token itself. */
  token: string;
  at: number;
}

/** The last failure Codex was given instead of headers, for `status` to show (Codex hides the helper's stderr). */
export interface HelperFailure {
  at: number;
  message: string;
  exitCode: number;
}

/**
 * The entry's url as Codex would use it in the helper's directory, when the user's config.toml
 * had this size, modification time, change time and inode (`touch -d` can put back the
 * modification time of a same-length edit, but not the change time, and a file replaced by
 * another has another inode), and the project layers looked as `layers` says.
 */
export interface CheckedConfig {
  size: number;
  mtimeMs: number;
  /** Absent in notes written before the change time was kept: those are read again. */
  ctimeMs?: number;
  ino?: number;
  url: string;
  /** The file the url comes from: config.toml, or a trusted project's `.codex/config.toml`. */
  source?: string;
  /** Absent in notes written before project layers counted: those are read again. */
  layers?: LayerFootprint;
}

export interface HandoutFile {
  last?: Handout;
  failure?: HelperFailure;
  config?: CheckedConfig;
}

function handoutPath(paths: StatePaths, serverName: string): string {
  return join(paths.home, 'handouts', `${serverFileName(serverName)}.json`);
}

export function tokenFingerprint(token: string): string {
  return createHash('sha256').update(token).digest('base64url').slice(0, 22);
}

/** What the helper recorded for the server; empty when nothing (or something unreadable) is there. */
export function readHandouts(paths: StatePaths, serverName: string): HandoutFile {
  try {
    return readJsonFile<HandoutFile>(handoutPath(paths, serverName));
  } catch {
    return {};
  }
}

/**
 * A plain write, not the crash-safe one the state files get: this is a hint, not data to keep
 * (a torn file reads as empty and costs at most one token check), and it is written for every
 * Codex thread, where an fsync would cost more than the rest of the call.
 */
export function writeHandouts(paths: StatePaths, serverName: string, file: HandoutFile): void {
  ensurePrivateDir(join(paths.home, 'handouts'));
  writeFileSync(handoutPath(paths, serverName), JSON.stringify(file), { mode: 0o600 });
}

/**
 * True when handing out `token` now may answer Codex's retry after the server rejected it: the
 * same token went out within the retry window, or went out before and has no known expiry (then
 * a rejection is the only way to learn it is no longer good).
 */
export function mayBeRetry(previous: Handout | undefined, token: string, now: number, expiryKnown: boolean): boolean {
  if (!previous || previous.token !== tokenFingerprint(token)) return false;
  return !expiryKnown || now - previous.at < RETRY_WINDOW_MS;
}
