// Reads Codex's config.toml: where it is, and the [mcp_servers.<name>] entries codex-auth cares about.
import fs from 'node:fs';
import { join } from 'node:path';
import TOML from '@iarna/toml';
import { CodexAuthError } from '../errors.ts';
import { shellCommand, shellWord } from '../shell.ts';

export type ServerKind = 'remote' | 'stdio' | 'invalid';

export interface McpServerEntry {
  name: string;
  kind: ServerKind;
  url?: string;
  /** `scopes` */
  scopes?: string[];
  /** `oauth_resource` */
  oauthResource?: string;
  /** `[oauth] client_id` */
  clientId?: string;
  /** `[oauth] callback_port` */
  callbackPort?: number;
  /** header -> value */
  httpHeaders: Record<string, string>;
  /** header -> name of the env var holding the value */
  envHttpHeaders: Record<string, string>;
  bearerTokenEnvVar?: string;
  /** `http_headers_helper`: a command line Codex runs for the entry's headers. */
  httpHeadersHelper?: string;
  enabled: boolean;
  required: boolean;
}

export interface CodexConfig {
  path: string;
  /** The exact text as read. */
  text: string;
  data: Record<string, unknown>;
  /** In file order. */
  servers: McpServerEntry[];
  /** Top-level `mcp_oauth_callback_port`. */
  callbackPort?: number;
}

type Table = Record<string, unknown>;

export function readCodexConfig(file: string): CodexConfig {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw readError(file, error);
  }
  return parseCodexConfig(file, text);
}

// Values only: how an entry is laid out in the text is the rewrite's business (toml-sites.ts),
// and that parser is not loaded on `run`'s hot path.
export function parseCodexConfig(file: string, text: string): CodexConfig {
  const data = parseToml(file, text);
  const servers = Object.entries(isTable(data.mcp_servers) ? data.mcp_servers : {})
    .map(([name, value]) => toEntry(name, value));
  const callbackPort = port(data.mcp_oauth_callback_port);
  return { path: file, text, data, servers, ...(callbackPort === undefined ? {} : { callbackPort }) };
}

/** A TOML key segment: bare when it can be, else a basic string. */
export function tomlKey(key: string): string {
  return /^[A-Za-z0-9_-]+$/.test(key) ? key : tomlString(key);
}

/** A TOML basic string. JSON escapes are valid TOML; DEL must be escaped too. */
export function tomlString(value: string): string {
  return JSON.stringify(value).replace(/\u007f/g, '\\u007F');
}

/** The remote entry called `name`; a clear error for unknown names and stdio servers. */
export function findServer(config: CodexConfig, name: string): McpServerEntry {
  const entry = config.servers.find((server) => server.name === name);
  if (!entry) {
    const known = config.servers.map((server) => server.name);
    throw new CodexAuthError({
      kind: 'config', step: 'config', server: name,
      message: `no MCP server called "${name}" in ${config.path}`
        + (known.length > 0 ? ` (known: ${known.join(', ')})` : ' (it has no [mcp_servers] entries)'),
      hint: `${shellCommand(['codex', 'mcp', 'add', name])} --url <url>`,
    });
  }
  // The table as it is written in config.toml: [mcp_servers."my.server"], not [mcp_servers.my.server].
  const table = `[mcp_servers.${tomlKey(name)}]`;
  if (entry.kind === 'stdio') {
    throw new CodexAuthError({
      kind: 'config', step: 'config', server: name,
      message: `"${name}" is a stdio server (it has a command, not a url): there is nothing to log in to`,
      hint: `nothing to do for it: Codex starts stdio servers itself; ${shellCommand(['codex-auth', 'status'])} lists the remote ones`,
    });
  }
  if (entry.kind === 'invalid') {
    const values = (config.data.mcp_servers as Table)[name] as Table;
    const both = typeof values.url === 'string' && typeof values.command === 'string';
    throw new CodexAuthError({
      kind: 'config', step: 'config', server: name,
      message: both
        ? `${table} in ${config.path} has both a url and a command; an entry is either remote (url) or stdio (command)`
        : `${table} in ${config.path} has neither a url nor a command, so Codex rejects the whole file`,
      hint: both ? `remove url or command from ${table}` : `add url = "https://..." to ${table}`,
    });
  }
  if (!URL.canParse(entry.url!)) {
    throw new CodexAuthError({
      kind: 'config', step: 'config', server: name,
      message: `the url of ${table} in ${config.path} is not a valid URL: ${JSON.stringify(entry.url)}`,
      hint: `set url = "https://..." in ${table}`,
    });
  }
  return entry;
}

/** http_headers plus env_http_headers whose variables are set in `env`. */
export function resolveHeaders(entry: McpServerEntry, env: NodeJS.ProcessEnv): Record<string, string> {
  const headers = { ...entry.httpHeaders };
  for (const [header, variable] of Object.entries(entry.envHttpHeaders)) {
    const value = env[variable];
    if (value !== undefined) headers[header] = value;
  }
  return headers;
}

/** One `[mcp_servers.<name>]` table's values as an entry. */
export function toEntry(name: string, value: unknown): McpServerEntry {
  const table = isTable(value) ? value : {};
  const oauth = isTable(table.oauth) ? table.oauth : {};
  const entry: McpServerEntry = {
    name,
    kind: kindOf(table),
    httpHeaders: stringMap(table.http_headers),
    envHttpHeaders: stringMap(table.env_http_headers),
    enabled: table.enabled !== false,
    required: table.required === true,
  };
  const optional = {
    url: string(table.url),
    scopes: stringArray(table.scopes),
    oauthResource: string(table.oauth_resource),
    clientId: string(oauth.client_id),
    callbackPort: port(oauth.callback_port),
    bearerTokenEnvVar: string(table.bearer_token_env_var),
    httpHeadersHelper: string(table.http_headers_helper),
  };
  for (const [key, field] of Object.entries(optional)) {
    if (field !== undefined) Object.assign(entry, { [key]: field });
  }
  return entry;
}

function kindOf(table: Table): ServerKind {
  const hasUrl = typeof table.url === 'string';
  const hasCommand = typeof table.command === 'string';
  if (hasUrl === hasCommand) return 'invalid';
  return hasUrl ? 'remote' : 'stdio';
}

/**
 * Values of a TOML text, through @iarna/toml. It rejects a comment ended by CRLF ("control
 * characters ... in comments"), so CRLF is read as LF: line and column numbers stay the same, and
 * TOML lets parsers normalise the newlines inside multi-line strings.
 */
export function parseTomlValues(text: string): Record<string, unknown> {
  return TOML.parse(text.replaceAll('\r\n', '\n'));
}

function parseToml(file: string, text: string): Table {
  try {
    return parseTomlValues(text);
  } catch (error) {
    const { line, col, message } = error as { line?: number; col?: number; message?: string };
    const where = line === undefined ? '' : `:${line + 1}:${(col ?? 0) + 1}`;
    const reason = (message ?? String(error)).split(' at row ')[0]!.split('\n')[0];
    throw new CodexAuthError({
      kind: 'config', step: 'config',
      message: `${file}${where}: invalid TOML: ${reason}`,
      hint: `fix ${shellWord(file)} (line ${line === undefined ? '?' : line + 1}) and run again`,
      cause: error,
    });
  }
}

function readError(file: string, error: unknown): CodexAuthError {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') {
    return new CodexAuthError({
      kind: 'config', step: 'config',
      message: `${file} does not exist`,
      hint: 'add the server to Codex first: codex mcp add <name> --url <url>',
      cause: error,
    });
  }
  const hint = code === 'EISDIR'
    ? `that is a directory; --config takes the file: --config ${shellWord(join(file, 'config.toml'))} (or set CODEX_HOME to the directory)`
    : code === 'EACCES' || code === 'EPERM'
      ? `check the permissions of ${shellWord(file)}: codex-auth needs to read it (ls -l ${shellWord(file)})`
      : undefined;
  return new CodexAuthError({
    kind: 'config', step: 'config', message: `cannot read ${file} (${code ?? String(error)})`, ...(hint ? { hint } : {}), cause: error,
  });
}

function isTable(value: unknown): value is Table {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

function string(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function stringArray(value: unknown): string[] | undefined {
  return Array.isArray(value) && value.every((item) => typeof item === 'string') ? value : undefined;
}

function stringMap(value: unknown): Record<string, string> {
  if (!isTable(value)) return {};
  return Object.fromEntries(Object.entries(value).filter((pair): pair is [string, string] => typeof pair[1] === 'string'));
}

function port(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 65535 ? value : undefined;
}
