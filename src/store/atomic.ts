// Crash-safe file writes: a reader sees the old bytes or the new bytes, never a mix.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { CodexAuthError, type Step } from '../errors.ts';

export interface AtomicWriteOptions {
  /** File mode; defaults to the existing file's mode, else 0600. */
  mode?: number;
  /** The step reported if the write fails. */
  step?: Step;
}

/**
 * Writes `data` to `target` through a temp file in the same directory, renamed over the target.
 * A symlinked target keeps its link: the file it points to is replaced.
 */
export function writeFileAtomic(target: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): void {
  const step = options.step ?? 'state';
  const finalPath = resolveSymlink(target);
  const mode = options.mode ?? existingMode(finalPath) ?? 0o600;
  // The writer's pid in the name lets a later write tell a crashed writer's temp file from a live one's.
  const tempPath = path.join(path.dirname(finalPath), `.${path.basename(finalPath)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    writeAndSync(tempPath, data, mode);
    fs.renameSync(tempPath, finalPath);
  } catch (error) {
    fs.rmSync(tempPath, { force: true });
    throw storageError(`could not write ${target}`, step, error);
  }
  syncDirectory(path.dirname(finalPath));
  removeOrphanedTempFiles(finalPath);
}

/**
 * A process killed mid-write leaves its temp file behind; the next successful write of the same
 * file removes those whose writer is gone, so crashes do not pile files up. Writes are synchronous,
 * so a temp file carrying our own pid is never in flight (it was left by an earlier process that had it).
 * Exported for a file written only once (config.toml's backup): its leftovers are swept without a write.
 */
export function removeOrphanedTempFiles(target: string): void {
  const finalPath = resolveSymlink(target);
  const dir = path.dirname(finalPath);
  const prefix = `.${path.basename(finalPath)}.`;
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const match = /^(\d+)\.[0-9a-f]{12}\.tmp$/.exec(name.slice(prefix.length));
    if (!match) continue;
    const pid = Number(match[1]);
    if (pid === process.pid || !isProcessAlive(pid)) fs.rmSync(path.join(dir, name), { force: true });
  }
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** mkdir -p with 0700; tightens an existing directory that is readable by others. */
export function ensurePrivateDir(dir: string): void {
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    if ((fs.statSync(dir).mode & 0o077) !== 0) fs.chmodSync(dir, 0o700);
  } catch (error) {
    throw storageError(`could not create the private directory ${dir}`, 'state', error);
  }
}

function writeAndSync(file: string, data: string | Uint8Array, mode: number): void {
  // 'wx' refuses to follow a planted file or link at the temp name.
  const fd = fs.openSync(file, 'wx', mode);
  try {
    fs.writeFileSync(fd, data);
    fs.fchmodSync(fd, mode); // the umask may have narrowed the mode given to open
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Makes the rename itself durable. Some file systems cannot fsync a directory; the rename still happened. */
function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // best effort only
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

function resolveSymlink(file: string): string {
  try {
    return fs.realpathSync(file);
  } catch {
    return file;
  }
}

function existingMode(file: string): number | undefined {
  try {
    return fs.statSync(file).mode & 0o7777;
  } catch {
    return undefined;
  }
}

function storageError(message: string, step: Step, cause: unknown): CodexAuthError {
  const reason = cause instanceof Error && 'code' in cause ? ` (${String(cause.code)})` : '';
  return new CodexAuthError({ kind: 'storage', step, message: message + reason, cause });
}
