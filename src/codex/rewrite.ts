// Format-preserving edits of one key, `bearer_token_env_var`, in one server entry of config.toml.
// The edit is a small splice located with toml-patch's syntax tree; it is then verified
// independently (values through @iarna/toml, bytes line by line) before anyone writes it.
import fs from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { CodexAuthError } from '../errors.ts';
import { shellCommand } from '../shell.ts';
import { writeFileAtomic } from '../store/atomic.ts';
import { parseTomlValues } from './config.ts';
import { locateServers, type KeyValueSite, type ServerSite, type Span } from './toml-sites.ts';

export const BEARER_KEY = 'bearer_token_env_var';

export interface PatchResult {
  text: string;
  changed: boolean;
  /** The value `bearer_token_env_var` had before this call, if it had one. */
  previousValue?: string;
}

/** CODEX_AUTH_<NAME>_TOKEN, unique among `taken` (suffix _2, _3, ...). */
export function tokenEnvVarName(serverName: string, taken: Iterable<string>): string {
  const base = `CODEX_AUTH_${serverName.toUpperCase().replace(/[^A-Z0-9]/gu, '_')}_TOKEN`;
  const used = new Set(taken);
  let candidate = base;
  for (let n = 2; used.has(candidate); n++) candidate = `${base}_${n}`;
  return candidate;
}

/** Points the entry at `varName`. Setting the value it already has changes nothing. */
export function setBearerEnvVar(text: string, serverName: string, varName: string): PatchResult {
  const entry = remoteEntry(text, serverName);
  const previousValue = currentBearer(entry, serverName);
  if (previousValue === varName) return { text, changed: false, previousValue };
  const site = locateEntry(text, serverName);
  const existing = findBearer(site);
  const edit = existing ? replaceValue(existing, varName) : insertBearer(text, site, serverName, varName);
  const newText = applyEdit(text, edit);
  verifyRewrite(text, newText, serverName, varName);
  return { text: newText, changed: true, previousValue };
}

/**
 * Undoes setBearerEnvVar: restores `restoreValue` when the entry had one before, else removes the key.
 * removeBearerEnvVar(setBearerEnvVar(t, n, v).text, n) gives back t byte for byte.
 */
export function removeBearerEnvVar(text: string, serverName: string, restoreValue?: string): PatchResult {
  if (restoreValue !== undefined) return setBearerEnvVar(text, serverName, restoreValue);
  const previousValue = currentBearer(remoteEntry(text, serverName), serverName);
  if (previousValue === undefined) return { text, changed: false };
  const site = locateEntry(text, serverName);
  const newText = applyEdit(text, removeBearer(text, site, serverName));
  verifyRewrite(text, newText, serverName, undefined);
  return { text: newText, changed: true, previousValue };
}

/**
 * Replaces config.toml with `newText`, unless it changed on disk since `oldText` was read.
 * Keeps the file's mode; the first time, saves the original bytes at `backupPath`.
 */
export function writeConfigAtomically(path: string, oldText: string, newText: string, options: { backupPath: string }): void {
  const onDisk = readBytes(path);
  if (!onDisk.equals(Buffer.from(oldText, 'utf8'))) {
    throw new CodexAuthError({
      kind: 'config', step: 'rewrite',
      message: `${path} changed while codex-auth was editing it; run again`,
    });
  }
  if (newText === oldText) return;
  const mode = fs.statSync(path).mode & 0o7777;
  if (!fs.existsSync(options.backupPath)) writeFileAtomic(options.backupPath, onDisk, { mode, step: 'rewrite' });
  writeFileAtomic(path, newText, { mode, step: 'rewrite' });
}

// ---- reading the entry -----------------------------------------------------------------

type Table = Record<string, unknown>;

function remoteEntry(text: string, serverName: string): Table {
  const servers = parseToml(text, serverName, 'config.toml is not valid TOML').mcp_servers;
  const entry = isTable(servers) ? servers[serverName] : undefined;
  if (!isTable(entry)) {
    throw rewriteError(serverName, `config.toml has no [mcp_servers.${tomlKey(serverName)}] entry`,
      `${shellCommand(['codex', 'mcp', 'add', serverName])} --url <url>`);
  }
  if (typeof entry.url !== 'string') {
    // Codex rejects the whole file when an HTTP-only key sits on a stdio entry.
    throw rewriteError(serverName, `[mcp_servers.${tomlKey(serverName)}] has no url: it is not a remote server`);
  }
  return entry;
}

function currentBearer(entry: Table, serverName: string): string | undefined {
  const value = entry[BEARER_KEY];
  if (value === undefined || typeof value === 'string') return value;
  throw rewriteError(serverName, `${BEARER_KEY} of [mcp_servers.${tomlKey(serverName)}] is not a string`);
}

function locateEntry(text: string, serverName: string): ServerSite {
  let site: ServerSite | undefined;
  try {
    site = locateServers(text).get(serverName);
  } catch (error) {
    throw rewriteError(serverName, 'config.toml could not be parsed for a format-preserving edit', undefined, error);
  }
  if (!site) throw rewriteError(serverName, 'the entry could not be located in config.toml');
  if (site.form === 'nested-inline') {
    throw rewriteError(serverName, 'the entry is written inside an inline `mcp_servers = { ... }` table, which cannot be edited in place',
      `move it to its own [mcp_servers.${tomlKey(serverName)}] table and run again`);
  }
  return site;
}

function findBearer(site: ServerSite): KeyValueSite | undefined {
  const pathInEntry = (kv: KeyValueSite) => (site.form === 'dotted' ? relativeToEntry(kv) : kv.keyPath);
  return site.keyValues.find((kv) => isDeepStrictEqual(pathInEntry(kv), [BEARER_KEY]));
}

/** A dotted line's key path below `mcp_servers.<name>`. */
function relativeToEntry(kv: KeyValueSite): string[] {
  return [...kv.contextPath, ...kv.keyPath].slice(2);
}

// ---- building the edit ----------------------------------------------------------------

interface Edit {
  start: number;
  end: number;
  insert: string;
}

function applyEdit(text: string, edit: Edit): string {
  return text.slice(0, edit.start) + edit.insert + text.slice(edit.end);
}

function replaceValue(kv: KeyValueSite, value: string): Edit {
  return { start: kv.valueSpan.start, end: kv.valueSpan.end, insert: tomlString(value) };
}

function insertBearer(text: string, site: ServerSite, serverName: string, value: string): Edit {
  const assignment = `${BEARER_KEY} = ${tomlString(value)}`;
  const last = site.keyValues.at(-1);
  if (site.form === 'inline') {
    if (!last) throw rewriteError(serverName, 'the inline entry is empty');
    if (last.comma) throw rewriteError(serverName, 'the inline entry ends with a comma, which older TOML readers reject');
    return { start: last.span.end, end: last.span.end, insert: `, ${assignment}` };
  }
  if (site.form === 'dotted') {
    // Same table context as the entry's last dotted line, so the new line lands in the same entry.
    const prefix = ['mcp_servers', serverName].slice(last!.contextPath.length).map(tomlKey).join('.');
    return insertLineAfter(text, last!.span, `${prefix}.${assignment}`);
  }
  // Right after the table's last row: trailing comments often introduce the next table.
  return insertLineAfter(text, last?.span ?? site.header!, assignment, last === undefined);
}

/** Inserts `line` after the line holding `anchor`, with that line's indentation and line ending. */
function insertLineAfter(text: string, anchor: Span, line: string, afterHeader = false): Edit {
  const lineStart = text.lastIndexOf('\n', anchor.start - 1) + 1;
  const leading = text.slice(lineStart, anchor.start);
  const indent = !afterHeader && /^[ \t]*$/.test(leading) ? leading : '';
  const newline = text.indexOf('\n', anchor.end);
  if (newline === -1) {
    return { start: text.length, end: text.length, insert: fileLineEnding(text) + indent + line };
  }
  const lineEnding = text[newline - 1] === '\r' ? '\r\n' : '\n';
  return { start: newline + 1, end: newline + 1, insert: indent + line + lineEnding };
}

function removeBearer(text: string, site: ServerSite, serverName: string): Edit {
  const bearer = findBearer(site)!;
  const index = site.keyValues.indexOf(bearer);
  if (site.form === 'inline') {
    const before = site.keyValues[index - 1];
    const after = site.keyValues[index + 1];
    if (before) return { start: before.span.end, end: bearer.span.end, insert: '' };
    if (after) return { start: bearer.span.start, end: after.span.start, insert: '' };
    throw rewriteError(serverName, `${BEARER_KEY} is the only key of the inline entry`);
  }
  return removeLine(text, bearer.span, serverName);
}

/** Removes the whole line holding `span`, refusing when the line holds anything else (a comment, say). */
function removeLine(text: string, span: Span, serverName: string): Edit {
  const lineStart = text.lastIndexOf('\n', span.start - 1) + 1;
  const newline = text.indexOf('\n', span.end);
  const lineEnd = newline === -1 ? text.length : newline + 1;
  const rest = text.slice(lineStart, span.start) + text.slice(span.end, lineEnd);
  if (!/^[ \t]*\r?\n?$/.test(rest)) {
    throw rewriteError(serverName, `the ${BEARER_KEY} line holds more than that key (a comment?), so it is not removed`,
      `remove the ${BEARER_KEY} line from config.toml by hand`);
  }
  if (newline !== -1 || lineStart === 0) return { start: lineStart, end: lineEnd, insert: '' };
  // Last line without a line ending: take the ending of the line before it instead.
  const previousEnding = text[lineStart - 2] === '\r' ? 2 : 1;
  return { start: lineStart - previousEnding, end: lineEnd, insert: '' };
}

// ---- independent verification ---------------------------------------------------------

/** Refuses unless `after` is `before` with exactly the one intended change (`undefined`: key removed). */
function verifyRewrite(before: string, after: string, serverName: string, value: string | undefined): void {
  const actual = parseToml(after, serverName, 'the rewritten file does not parse');
  const expected = parseToml(before, serverName, 'config.toml is not valid TOML');
  const entry = (expected.mcp_servers as Record<string, Table>)[serverName]!;
  if (value === undefined) delete entry[BEARER_KEY];
  else entry[BEARER_KEY] = value;
  if (!isDeepStrictEqual(actual, expected)) {
    throw verificationError(serverName, 'the rewritten file does not hold the same values plus that one change');
  }
  const problem = byteProblem(before, after);
  if (problem) throw verificationError(serverName, problem);
}

/** Checks the bytes: one line added, removed or changed (and only within the line), line endings kept. */
function byteProblem(before: string, after: string): string | undefined {
  if (before.endsWith('\n') !== after.endsWith('\n')) return 'the final line ending changed';
  // Completing a missing final line ending the same way on both sides keeps the comparison line-based.
  const closing = before.endsWith('\n') ? '' : fileLineEnding(before);
  const oldLines = splitLines(before + closing);
  const newLines = splitLines(after + closing);
  let head = 0;
  while (head < oldLines.length && head < newLines.length && oldLines[head] === newLines[head]) head++;
  let tail = 0;
  while (tail < oldLines.length - head && tail < newLines.length - head
    && oldLines[oldLines.length - 1 - tail] === newLines[newLines.length - 1 - tail]) tail++;
  const removed = oldLines.slice(head, oldLines.length - tail);
  const added = newLines.slice(head, newLines.length - tail);
  if (removed.length + added.length === 0) return 'nothing changed';
  if (removed.length > 1 || added.length > 1) return 'more than one line changed';
  const [oldLine, newLine] = [removed[0], added[0]];
  if (oldLine !== undefined && newLine !== undefined) return inLineProblem(oldLine, newLine);
  const touched = (oldLine ?? newLine)!;
  if (!touched.includes(BEARER_KEY)) return `a line without ${BEARER_KEY} was added or removed`;
  const neighbour = newLines[head - 1] ?? newLines[head + 1];
  if (newLine !== undefined && neighbour !== undefined && lineEnding(newLine) !== lineEnding(neighbour)) {
    return 'the new line does not use the line ending of its neighbours';
  }
  return undefined;
}

/** A line edited in place may change only between its key and its comment, never its ending. */
function inLineProblem(oldLine: string, newLine: string): string | undefined {
  let head = 0;
  while (head < oldLine.length && oldLine[head] === newLine[head]) head++;
  let tail = 0;
  while (tail < oldLine.length - head && tail < newLine.length - head
    && oldLine[oldLine.length - 1 - tail] === newLine[newLine.length - 1 - tail]) tail++;
  const changed = oldLine.slice(head, oldLine.length - tail) + newLine.slice(head, newLine.length - tail);
  if (/[#\r\n]/.test(changed)) return 'a comment or line ending on the edited line changed';
  if (!newLine.includes(BEARER_KEY) && !oldLine.includes(BEARER_KEY)) return `the edited line does not hold ${BEARER_KEY}`;
  return undefined;
}

// ---- small helpers --------------------------------------------------------------------

function parseToml(text: string, serverName: string, problem: string): Table {
  try {
    return parseTomlValues(text);
  } catch (error) {
    throw rewriteError(serverName, problem, undefined, error);
  }
}

function readBytes(path: string): Buffer {
  try {
    return fs.readFileSync(path);
  } catch (error) {
    throw new CodexAuthError({ kind: 'config', step: 'rewrite', message: `cannot read ${path}`, cause: error });
  }
}

function isTable(value: unknown): value is Table {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

function splitLines(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

function lineEnding(line: string): string {
  return line.endsWith('\r\n') ? '\r\n' : '\n';
}

/** The file's line ending: CRLF if it uses any, else LF. */
function fileLineEnding(text: string): string {
  return text.includes('\r\n') ? '\r\n' : '\n';
}

/** A TOML key segment: bare when it can be, else a basic string. */
export function tomlKey(key: string): string {
  return /^[A-Za-z0-9_-]+$/.test(key) ? key : tomlString(key);
}

/** A TOML basic string. JSON escapes are valid TOML; DEL must be escaped too. */
function tomlString(value: string): string {
  return JSON.stringify(value).replace(/\u007f/g, '\\u007F');
}

function rewriteError(serverName: string, message: string, hint?: string, cause?: unknown): CodexAuthError {
  return new CodexAuthError({
    kind: 'config', step: 'rewrite', server: serverName,
    message: `cannot edit [mcp_servers.${tomlKey(serverName)}]: ${message}`, hint, cause,
  });
}

function verificationError(serverName: string, what: string): CodexAuthError {
  return rewriteError(serverName, `the edit could not be verified (${what}); config.toml was left untouched`,
    `add ${BEARER_KEY} = "<variable>" to the entry by hand, or run with a simpler config.toml`);
}
