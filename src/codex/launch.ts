// Finds the real `codex` and runs it (or any command) with the TTY inherited,
// forwarding signals, and reports the child's exit code as a shell would.
import { execa } from 'execa';
import { accessSync, constants as fsConstants, openSync, readFileSync, readSync, closeSync, realpathSync, statSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { basename, delimiter, isAbsolute, join } from 'node:path';
import { CodexAuthError } from '../errors.ts';

const DEPTH_VARIABLE = 'CODEX_AUTH_RUN_DEPTH';
const MAX_DEPTH = 3;

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** A `codex` shim that itself runs codex-auth would send us round in circles. */
function wrapsCodexAuth(path: string, selfPaths: Set<string>): boolean {
  let real: string;
  try {
    real = realpathSync(path);
  } catch {
    return false;
  }
  if (selfPaths.has(real)) return true;
  const head = Buffer.alloc(4096);
  let fd: number | undefined;
  try {
    fd = openSync(real, 'r');
    const read = readSync(fd, head, 0, head.length, 0);
    const text = head.subarray(0, read).toString('latin1');
    return text.startsWith('#!') && /codex-auth(\.js)?\b/.test(text);
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function searchPath(command: string, env: NodeJS.ProcessEnv, skip: (path: string) => boolean): string | undefined {
  const extensions = process.platform === 'win32' ? (env.PATHEXT ?? '.EXE;.CMD;.BAT').split(';') : [''];
  for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean)) {
    for (const extension of extensions) {
      const candidate = join(dir, command + extension);
      if (isExecutableFile(candidate) && !skip(candidate)) return candidate;
    }
  }
  return undefined;
}

/** The file a shell would run for `command`, if any. */
export function findOnPath(command: string, env: NodeJS.ProcessEnv): string | undefined {
  return searchPath(command, env, () => false);
}

export function isCodexCommand(command: string, env: NodeJS.ProcessEnv): boolean {
  return basename(command).replace(/\.(exe|cmd)$/i, '') === 'codex' || (env.CODEX_AUTH_CODEX_BIN !== undefined && command === env.CODEX_AUTH_CODEX_BIN);
}

/** Resolves the command to launch; `codex` is looked up past any shim that wraps codex-auth. */
export function resolveCommand(command: string, env: NodeJS.ProcessEnv, selfPaths: string[]): string {
  const depth = Number(env[DEPTH_VARIABLE] ?? '0');
  if (depth >= MAX_DEPTH) {
    throw new CodexAuthError({
      kind: 'launch',
      step: 'launch',
      message: `codex-auth was started ${depth} times in a row: the \`codex\` it finds runs codex-auth again`,
      hint: 'set CODEX_AUTH_CODEX_BIN to the real codex binary',
    });
  }
  if (basename(command) === 'codex' && !command.includes('/') && env.CODEX_AUTH_CODEX_BIN) return env.CODEX_AUTH_CODEX_BIN;
  if (command.includes('/') || isAbsolute(command)) return command;
  const self = new Set(selfPaths.flatMap((path) => { try { return [realpathSync(path)]; } catch { return []; } }));
  const found = searchPath(command, env, (path) => command === 'codex' && wrapsCodexAuth(path, self));
  if (!found) {
    throw new CodexAuthError({
      kind: 'launch',
      step: 'launch',
      message: command === 'codex' ? 'the real `codex` is not on PATH' : `\`${command}\` is not on PATH`,
      hint: command === 'codex' ? 'install it with `npm install -g @openai/codex`, or set CODEX_AUTH_CODEX_BIN to its path' : 'check the command name',
    });
  }
  return found;
}

export interface LaunchInput {
  file: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  stdinIsTTY: boolean;
}

const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'];

/**
 * Whether our process group (which the child shares) is the foreground group of a terminal: then
 * Ctrl-C there reached the child already, even when stdin is a pipe. Linux tells through
 * /proc/self/stat (pgrp and tpgid); elsewhere the answer is no, and the signal is passed on.
 */
function inTerminalForeground(): boolean {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    // After "pid (comm) ": state ppid pgrp session tty_nr tpgid ...
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const pgrp = Number(fields[2]);
    const foreground = Number(fields[5]);
    return foreground > 0 && foreground === pgrp;
  } catch {
    return false;
  }
}

/**
 * Runs the child with our stdio. Ctrl-C at a terminal already reaches the
 * child through its process group, so the wrapper only stays alive for it
 * (also when stdin is a pipe but the group is the terminal's foreground);
 * signals sent to the wrapper alone are passed on. The window size needs no
 * forwarding: the child shares the terminal and gets SIGWINCH itself.
 */
export async function launch(input: LaunchInput): Promise<number> {
  const env = { ...input.env, [DEPTH_VARIABLE]: String(Number(input.env[DEPTH_VARIABLE] ?? '0') + 1) };
  const child = execa(input.file, input.args, { env, extendEnv: false, stdio: 'inherit', reject: false, cleanup: true, stripFinalNewline: false });
  const handlers = FORWARDED.map((signal) => {
    const handler = () => {
      if (signal === 'SIGINT' && (input.stdinIsTTY || inTerminalForeground())) return;
      child.kill(signal);
    };
    process.on(signal, handler);
    return () => process.off(signal, handler);
  });
  try {
    const result = await child;
    if (result.signal) return 128 + (osConstants.signals[result.signal] ?? 0);
    if (result.exitCode === undefined) {
      throw new CodexAuthError({
        kind: 'launch',
        step: 'launch',
        message: `cannot start ${input.file}: ${result.originalMessage ?? result.shortMessage}`,
        hint: 'check that the command exists and is executable',
      });
    }
    return result.exitCode;
  } finally {
    for (const remove of handlers) remove();
  }
}
