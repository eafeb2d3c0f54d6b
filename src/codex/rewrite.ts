// Format-preserving edits of one key at a time (`bearer_token_env_var`, `http_headers_helper`) in
// one server entry of config.toml. Each edit is a small splice located with toml-patch's syntax
// tree; it is then verified independently (values through @iarna/toml, bytes line by line) before
// anyone writes it: exactly one line is added, removed or changed, and nothing else.
import fs from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { CodexAuthError } from '../errors.ts';
import { shellCommand } from '../shell.ts';
import { removeOrphanedTempFiles, writeFileAtomic } from '../store/atomic.ts';
import { parseTomlValues, tomlKey, tomlString } from './config.ts';

export { tomlKey } from './config.ts';
import { locateServers, type KeyValueSite, type ServerSite, type Span } from './toml-sites.ts';

export interface PatchResult {
  text: string;
  changed: boolean;
  /** The value the key had before this call, if it had one. */
  previousValue?: string;
  /** What the replaced `key = value` looked like, byte for byte (replaceEntryKey). */
  replacedText?: string;
}

/** CODEX_AUTH_<NAME>_TOKEN, unique among `taken` (suffix _2, _3, ...). */
export function tokenEnvVarName(serverName: string, taken: Iterable<string>): string {
  const base = `CODEX_AUTH_${serverName.toUpperCase().replace(/[^A-Z0-9]/gu, '_')}_TOKEN`;
  const used = new Set(taken);
  let candidate = base;
  for (let n = 2; used.has(candidate); n++) candidate = `${base}_${n}`;
  return candidate;
}

/** Sets the entry's string `key` to `value`, in place or as a new line. Setting the value it has changes nothing. */
export function setEntryString(text: string, serverName: string, key: string, value: string): PatchResult {
  const previousValue = currentString(remoteEntry(text, serverName), serverName, key);
  if (previousValue === value) return { text, changed: false, previousValue };
  const site = locateEntry(text, serverName);
  const existing = findKey(site, key);
  const edit = existing ? replaceValue(existing, value) : insertKey(text, site, serverName, key, value);
  const newText = applyEdit(text, edit);
  verifyRewrite(text, newText, serverName, { [key]: value });
  return { text: newText, changed: true, ...(previousValue === undefined ? {} : { previousValue }) };
}

/**
 * Removes the entry's `key` line, or, with `restoreValue`, sets it back to that value.
 * removeEntryKey(setEntryString(t, n, k, v).text, n, k) gives back t byte for byte.
 */
export function removeEntryKey(text: string, serverName: string, key: string, restoreValue?: string): PatchResult {
  if (restoreValue !== undefined) return setEntryString(text, serverName, key, restoreValue);
  const previousValue = currentString(remoteEntry(text, serverName), serverName, key);
  if (previousValue === undefined) return { text, changed: false };
  const site = locateEntry(text, serverName);
  const newText = applyEdit(text, removeKey(text, site, serverName, key));
  verifyRewrite(text, newText, serverName, { [key]: undefined });
  return { text: newText, changed: true, previousValue };
}

/**
 * Puts `to = value` where the entry's `from = ...` stands, so one line changes and the line's
 * place, indentation and comment stay. `replacement` is a string value, or the exact text of a
 * `key = value` that an earlier call replaced (`replacedText`), which puts those bytes back.
 */
export function replaceEntryKey(text: string, serverName: string, from: string, replacement: { key: string; value: string } | { text: string }): PatchResult {
  const entry = remoteEntry(text, serverName);
  const previousValue = currentString(entry, serverName, from);
  const site = locateEntry(text, serverName);
  const existing = findKey(site, from);
  if (!existing || previousValue === undefined) throw rewriteError(serverName, `the entry has no ${from} to replace`);
  const keyPrefix = existing.keyPath.slice(0, -1).map(tomlKey);
  const insert = 'text' in replacement ? replacement.text : [...keyPrefix, tomlKey(replacement.key)].join('.') + ` = ${tomlString(replacement.value)}`;
  const added = 'text' in replacement ? keyValueOf(replacement.text, serverName) : replacement;
  if (added.key !== from && entry[added.key] !== undefined) throw rewriteError(serverName, `the entry already has ${added.key}`);
  const newText = applyEdit(text, { start: existing.span.start, end: existing.span.end, insert });
  verifyRewrite(text, newText, serverName, { [from]: undefined, [added.key]: added.value });
  return { text: newText, changed: true, previousValue, replacedText: text.slice(existing.span.start, existing.span.end) };
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
  // The backup is written once; a writer killed inside that one write left a temp copy nothing else removes.
  if (fs.existsSync(options.backupPath)) removeOrphanedTempFiles(options.backupPath);
  else writeFileAtomic(options.backupPath, onDisk, { mode, step: 'rewrite' });
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

function currentString(entry: Table, serverName: string, key: string): string | undefined {
  const value = entry[key];
  if (value === undefined || typeof value === 'string') return value;
  throw rewriteError(serverName, `${key} of [mcp_servers.${tomlKey(serverName)}] is not a string`);
}

/** The one `key = "value"` a replacedText holds; a dotted key (`name.key = ...`) names its last part. */
function keyValueOf(text: string, serverName: string): { key: string; value: string } {
  let table: unknown = parseToml(text, serverName, 'the text to put back is not valid TOML');
  for (;;) {
    const pairs = isTable(table) ? Object.entries(table) : [];
    if (pairs.length !== 1) break;
    const [key, value] = pairs[0]!;
    if (typeof value === 'string') return { key, value };
    table = value;
  }
  throw rewriteError(serverName, 'the text to put back is not one string key');
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

function findKey(site: ServerSite, key: string): KeyValueSite | undefined {
  const pathInEntry = (kv: KeyValueSite) => (site.form === 'dotted' ? relativeToEntry(kv) : kv.keyPath);
  return site.keyValues.find((kv) => isDeepStrictEqual(pathInEntry(kv), [key]));
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

function insertKey(text: string, site: ServerSite, serverName: string, key: string, value: string): Edit {
  const assignment = `${tomlKey(key)} = ${tomlString(value)}`;
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

function removeKey(text: string, site: ServerSite, serverName: string, key: string): Edit {
  const found = findKey(site, key)!;
  const index = site.keyValues.indexOf(found);
  if (site.form === 'inline') {
    const before = site.keyValues[index - 1];
    const after = site.keyValues[index + 1];
    if (before) return { start: before.span.end, end: found.span.end, insert: '' };
    if (after) return { start: found.span.start, end: after.span.start, insert: '' };
    throw rewriteError(serverName, `${key} is the only key of the inline entry`);
  }
  return removeLine(text, found.span, serverName, key);
}

/** Removes the whole line holding `span`, refusing when the line holds anything else (a comment, say). */
function removeLine(text: string, span: Span, serverName: string, key: string): Edit {
  const lineStart = text.lastIndexOf('\n', span.start - 1) + 1;
  const newline = text.indexOf('\n', span.end);
  const lineEnd = newline === -1 ? text.length : newline + 1;
  const rest = text.slice(lineStart, span.start) + text.slice(span.end, lineEnd);
  if (!/^[ \t]*\r?\n?$/.test(rest)) {
    throw rewriteError(serverName, `the ${key} line holds more than that key (a comment?), so it is not removed`,
      `remove the ${key} line from config.toml by hand`);
  }
  if (newline !== -1 || lineStart === 0) return { start: lineStart, end: lineEnd, insert: '' };
  // Last line without a line ending: take the ending of the line before it instead.
  const previousEnding = text[lineStart - 2] === '\r' ? 2 : 1;
  return { start: lineStart - previousEnding, end: lineEnd, insert: '' };
}

// ---- independent verification ---------------------------------------------------------

/** Refuses unless `after` is `before` with exactly the intended changes to the entry's keys (`undefined`: key removed). */
function verifyRewrite(before: string, after: string, serverName: string, changes: Record<string, string | undefined>): void {
  const actual = parseToml(after, serverName, 'the rewritten file does not parse');
  const expected = parseToml(before, serverName, 'config.toml is not valid TOML');
  const entry = (expected.mcp_servers as Record<string, Table>)[serverName]!;
  for (const [key, value] of Object.entries(changes)) {
    if (value === undefined) delete entry[key];
    else entry[key] = value;
  }
  if (!isDeepStrictEqual(actual, expected)) {
    throw verificationError(serverName, 'the rewritten file does not hold the same values plus that one change');
  }
  const problem = byteProblem(before, after, Object.keys(changes));
  if (problem) throw verificationError(serverName, problem);
}

/** Checks the bytes: one line added, removed or changed (and only within the line), line endings kept. */
function byteProblem(before: string, after: string, keys: string[]): string | undefined {
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
  const holdsKey = (line: string) => keys.some((key) => line.includes(key));
  if (oldLine !== undefined && newLine !== undefined) return inLineProblem(oldLine, newLine, holdsKey);
  const touched = (oldLine ?? newLine)!;
  if (!holdsKey(touched)) return `a line without ${keys.join(' or ')} was added or removed`;
  const neighbour = newLines[head - 1] ?? newLines[head + 1];
  if (newLine !== undefined && neighbour !== undefined && lineEnding(newLine) !== lineEnding(neighbour)) {
    return 'the new line does not use the line ending of its neighbours';
  }
  return undefined;
}

/** A line edited in place may change only between its key and its comment, never its ending. */
function inLineProblem(oldLine: string, newLine: string, holdsKey: (line: string) => boolean): string | undefined {
  let head = 0;
  while (head < oldLine.length && oldLine[head] === newLine[head]) head++;
  let tail = 0;
  while (tail < oldLine.length - head && tail < newLine.length - head
    && oldLine[oldLine.length - 1 - tail] === newLine[newLine.length - 1 - tail]) tail++;
  const changed = oldLine.slice(head, oldLine.length - tail) + newLine.slice(head, newLine.length - tail);
  if (/[#\r\n]/.test(changed)) return 'a comment or line ending on the edited line changed';
  if (!holdsKey(newLine) && !holdsKey(oldLine)) return 'the edited line does not hold the key being changed';
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


function rewriteError(serverName: string, message: string, hint?: string, cause?: unknown): CodexAuthError {
  return new CodexAuthError({
    kind: 'config', step: 'rewrite', server: serverName,
    message: `cannot edit [mcp_servers.${tomlKey(serverName)}]: ${message}`, hint, cause,
  });
}

function verificationError(serverName: string, what: string): CodexAuthError {
  return rewriteError(serverName, `the edit could not be verified (${what}); config.toml was left untouched`,
    'make the entry a plain [mcp_servers.<name>] table (codex mcp get <name> shows it) and run again');
}

/**
 * Appends a new `[mcp_servers.<name>]` table holding only `url`, after the file's last line: what
 * lets the user's config complete a project's entry and still start outside that project. The
 * result must parse to the same values plus that one entry, or nothing is returned.
 */
export function appendRemoteEntry(text: string, serverName: string, url: string, note: string): PatchResult {
  const before = parseToml(text, serverName, 'config.toml is not valid TOML');
  const servers = isTable(before.mcp_servers) ? before.mcp_servers : {};
  if (serverName in servers) throw rewriteError(serverName, 'config.toml already has an entry by that name', `add url = ${tomlString(url)} to it`);
  const eol = fileLineEnding(text);
  const separator = text.length === 0 || text.endsWith('\n') ? '' : eol;
  const comment = note.replace(/[\u0000-\u001f\u007f]/g, ' ');
  const newText = `${text}${separator}${eol}# ${comment}${eol}[mcp_servers.${tomlKey(serverName)}]${eol}url = ${tomlString(url)}${eol}`;
  let after: Table;
  try {
    after = parseTomlValues(newText);
  } catch {
    throw verificationError(serverName, 'the new table does not parse');
  }
  const expected = { ...before, mcp_servers: { ...servers, [serverName]: { url } } };
  // JSON, not deep equality: the parser's tables and these plain objects differ in prototype only.
  if (JSON.stringify(after) !== JSON.stringify(expected)) throw verificationError(serverName, 'the file would read differently');
  return { text: newText, changed: true };
}

/**
 * Takes out a table appendRemoteEntry added (`appended`: the exact text it appended), when the
 * file still holds exactly that text once and the result reads as the file did minus that entry:
 * Codex is then back to how it was before. Otherwise says why the table stays.
 */
export function removeAppendedEntry(text: string, serverName: string, appended: string): { text: string } | { kept: string } {
  const at = text.indexOf(appended);
  if (at === -1) return { kept: 'it was edited since login added it' };
  if (text.indexOf(appended, at + 1) !== -1) return { kept: 'its text appears more than once' };
  const newText = text.slice(0, at) + text.slice(at + appended.length);
  const before = parseToml(text, serverName, 'config.toml is not valid TOML');
  const { [serverName]: _removed, ...others } = isTable(before.mcp_servers) ? before.mcp_servers : {};
  let after: Table;
  try {
    after = parseTomlValues(newText);
  } catch {
    return { kept: 'the file would not parse without it' };
  }
  // Keys or tables added to the entry after it would now read as part of something else.
  if (comparable({ ...before, mcp_servers: others }) !== comparable(after)) return { kept: 'it holds more than login added' };
  return { text: newText };
}

/**
 * The values as JSON text with every table's keys in one order, and no `mcp_servers` when it is
 * empty (a table that was the only server leaves none behind).
 */
function comparable(values: Table): string {
  const { mcp_servers: servers, ...rest } = values;
  return JSON.stringify(sortedKeys(isTable(servers) && Object.keys(servers).length === 0 ? rest : values));
}

function sortedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedKeys);
  if (!isTable(value)) return value;
  return Object.fromEntries(Object.keys(value).sort().map((key) => [key, sortedKeys(value[key])]));
}
