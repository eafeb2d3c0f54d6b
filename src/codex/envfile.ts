// The env file: one `NAME='value'` line per token, for `set -a; . file; set +a` in sh, bash or zsh.
import fs from 'node:fs';
import { dirname } from 'node:path';
import { CodexAuthError } from '../errors.ts';
import { isSendableToken } from '../oauth/token-syntax.ts';
import { shellQuote } from '../shell.ts';
import { ensurePrivateDir, writeFileAtomic } from '../store/atomic.ts';
import type { ServerState, StateStore } from '../store/state.ts';
import type { CodexConfig } from './config.ts';

const HEADER = [
  '# Written by codex-auth; it rewrites this file, so edits do not last.',
  '# Holds MCP access tokens: keep it private. Load with: set -a; . <this file>; set +a',
];

const VALID_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Sorted by name; single-quoted so the shell expands nothing. */
export function renderEnvFile(vars: Record<string, string>): string {
  const lines = Object.keys(vars).sort().map((name) => {
    const value = vars[name]!;
    if (!VALID_NAME.test(name)) throw envFileError(`"${name}" is not a valid environment variable name`);
    // Shells cannot carry NUL; a line break would split the assignment.
    if (/[\0\r\n]/.test(value)) throw envFileError(`the value of ${name} contains a line break or NUL`);
    return `${name}=${shellQuote(value)}`;
  });
  return [...HEADER, ...lines].join('\n') + '\n';
}

/** Writes the file (0600, atomically) only when its content would change; returns whether it did. */
export function writeEnvFile(file: string, vars: Record<string, string>): boolean {
  const content = renderEnvFile(vars);
  const existing = readOptional(file);
  if (existing === content) {
    tightenMode(file);
    return false;
  }
  // Before the first login there is nothing to write, and on a fresh machine no directory to write it in.
  if (existing === undefined && Object.keys(vars).length === 0) return false;
  ensurePrivateDir(dirname(file));
  writeFileAtomic(file, content, { mode: 0o600, step: 'env-file' });
  return true;
}

/** Reads what renderEnvFile writes, tolerating hand edits (comments, `export`, double quotes). */
export function readEnvFile(file: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const line of (readOptional(file) ?? '').split(/\r?\n/)) {
    const match = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (match) vars[match[1]!] = shellUnquote(match[2]!.trim());
  }
  return vars;
}

/** Undoes sh quoting: '...' literal, "..." with backslash escapes, bare words with backslash escapes. */
function shellUnquote(word: string): string {
  let result = '';
  for (let i = 0; i < word.length; i++) {
    const char = word[i]!;
    if (char === "'") {
      const end = word.indexOf("'", i + 1);
      const close = end === -1 ? word.length : end;
      result += word.slice(i + 1, close);
      i = close;
    } else if (char === '"') {
      for (i++; i < word.length && word[i] !== '"'; i++) {
        if (word[i] === '\\' && /["\\$`]/.test(word[i + 1] ?? '')) i++;
        result += word[i];
      }
    } else if (char === '\\' && i + 1 < word.length) {
      result += word[++i];
    } else {
      result += char;
    }
  }
  return result;
}

function readOptional(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CodexAuthError({ kind: 'storage', step: 'env-file', message: `cannot read ${file}`, cause: error });
  }
}

/** An unchanged file still must not be readable by others. */
function tightenMode(file: string): void {
  if ((fs.statSync(file).mode & 0o077) !== 0) fs.chmodSync(file, 0o600);
}

function envFileError(message: string): CodexAuthError {
  return new CodexAuthError({ kind: 'storage', step: 'env-file', message: `cannot write the env file: ${message}` });
}

/**
 * The env file holds one line per logged-in server whose entry reads the token from the
 * environment (helper-wired entries need no copy of the token there). A token logged in at
 * another url than its entry in config.toml (`config`, undefined when there is no file) now has
 * is left out, whichever command rewrites the file: a shell loading it must not hand the token
 * to the entry's new server. Returns whether it changed.
 */
export function syncEnvFile(store: StateStore, config: Pick<CodexConfig, 'servers'> | undefined, states: ServerState[] = store.knownServers()): boolean {
  const configUrls = new Map(config?.servers.map((entry) => [entry.name, entry.url]));
  const vars: Record<string, string> = {};
  for (const state of states) {
    const token = state.grant?.tokens.accessToken;
    if (configUrls.get(state.serverName) !== state.grant?.mcpUrl) continue;
    // A token no header can carry (stored before such tokens were refused) gets no line: run skips that server.
    if (token && isSendableToken(token) && state.rewrite && (state.rewrite.wiring ?? 'environment') === 'environment') vars[state.rewrite.varName] = token;
  }
  try {
    return writeEnvFile(store.paths.envFile, vars);
  } catch (error) {
    if (error instanceof CodexAuthError) throw error;
    throw new CodexAuthError({
      kind: 'storage',
      step: 'env-file',
      message: `cannot write the env file ${store.paths.envFile}: ${(error as Error).message}`,
      hint: 'check the permissions of the codex-auth directory (CODEX_AUTH_HOME)',
      cause: error,
    });
  }
}
