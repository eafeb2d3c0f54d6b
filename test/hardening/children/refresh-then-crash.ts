// Child for "a rotated refresh token is on disk before anything else happens":
// runs the real `codex-auth run` code path with an injected fetch whose token
// endpoint answers a refresh. From the moment that answer arrives, every file
// write outside the server's state file, and every process start, is a trap:
// the child logs it and SIGKILLs itself before it happens.
// Usage: refresh-then-crash.mjs <stateDir> <configPath> <logFile> <newRefreshToken>
import childProcess from 'node:child_process';
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { dirname, join } from 'node:path';
import { createContext } from '../../../src/cli/context.ts';
import { runRun } from '../../../src/cli/run.ts';

const [stateDir, configPath, logFile, newRefreshToken] = process.argv.slice(2) as [string, string, string, string];
const serversDir = join(stateDir, 'servers');
const original = { openSync: fs.openSync, writeFileSync: fs.writeFileSync, renameSync: fs.renameSync, rmSync: fs.rmSync, unlinkSync: fs.unlinkSync, spawn: childProcess.spawn };

// Opened before the trap is armed: node's own writeFileSync would go through the patched openSync.
const logFd = fs.openSync(logFile, 'a');
function log(event: string): void {
  fs.writeSync(logFd, `${event}\n`);
}

/** Lets the state file's own write through (and logs it); anything else after the answer is fatal. */
function guard(operation: string, path: unknown, writes: boolean): void {
  const target = String(path);
  if (!writes) return;
  if (target.startsWith(`${serversDir}/`)) return log(`allowed ${operation} ${target}`);
  log(`stopped before ${operation} ${target}`);
  process.kill(process.pid, 'SIGKILL');
}

function armTrap(): void {
  log('refresh answer arrived');
  const writesFlag = (flags: unknown) => flags !== undefined && flags !== 'r' && flags !== 0;
  fs.openSync = ((path: fs.PathLike, flags?: fs.OpenMode, mode?: fs.Mode) => (guard('open', path, writesFlag(flags)), original.openSync(path, flags ?? 'r', mode))) as typeof fs.openSync;
  fs.writeFileSync = ((path: fs.PathOrFileDescriptor, ...rest: [never]) => (guard('write', path, typeof path !== 'number'), original.writeFileSync(path, ...rest))) as typeof fs.writeFileSync;
  fs.renameSync = ((from: fs.PathLike, to: fs.PathLike) => (guard('rename', to, true), original.renameSync(from, to))) as typeof fs.renameSync;
  fs.rmSync = ((path: fs.PathLike, options?: fs.RmOptions) => (guard('rm', path, true), original.rmSync(path, options))) as typeof fs.rmSync;
  fs.unlinkSync = ((path: fs.PathLike) => (guard('unlink', path, true), original.unlinkSync(path))) as typeof fs.unlinkSync;
  childProcess.spawn = ((...args: Parameters<typeof childProcess.spawn>) => (guard('spawn', args[0], true), original.spawn(...args))) as typeof childProcess.spawn;
  syncBuiltinESMExports();
}

const tokenResponse = { access_token: 'access-after-refresh', token_type: 'Bearer', expires_in: 3600, refresh_token: newRefreshToken };

const ctx = createContext({ config: configPath }, { node: process.execPath, script: process.argv[1]!, selfPaths: [] }, process, { ...process.env, CODEX_AUTH_HOME: stateDir, CODEX_HOME: dirname(configPath) });
ctx.fetch = (async (input: string | URL | Request) => {
  if (!String(input).endsWith('/token')) return new Response('not found', { status: 404 });
  armTrap();
  return new Response(JSON.stringify(tokenResponse), { status: 200, headers: { 'content-type': 'application/json' } });
}) as typeof fetch;

await runRun(ctx, { command: [process.execPath, '-e', '0'], strict: false, refreshMarginMs: 60_000, interactiveLogin: false, proxy: false });
log('run finished without reaching the trap');
