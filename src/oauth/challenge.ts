// Step 1 of discovery: the first MCP request without a token, and the
// WWW-Authenticate challenge it earns (RFC 7235, RFC 6750 §3, RFC 9728 §5.1).
import { CodexAuthError } from '../errors.ts';
import { describeContentType, isJsonContentType } from './content-type.ts';
import { parseUrl, redactUrl, send, type HttpClient } from './http.ts';

export interface AuthChallenge {
  /** Lower-cased, e.g. "bearer". */
  scheme: string;
  /** Parameter names lower-cased; values unquoted and unescaped. */
  params: Record<string, string>;
  /** The token68 form (e.g. `Negotiate abc==`), when a challenge uses it instead of parameters. */
  token68?: string;
}

const TOKEN = /[!#$%&'*+\-.^_`|~0-9A-Za-z]+/y;
const TOKEN68 = /[A-Za-z0-9\-._~+/]+=*(?=[ \t]*(?:,|$))/y;
const SPACES = /[ \t]*/y;
const SEPARATORS = /[\s,]*/y;
// Unquoted values in the wild carry URLs (`resource_metadata=https://…`), so
// read up to the next separator rather than stopping at non-token characters.
const LOOSE_VALUE = /[^\s,]*/y;

/** Parses every challenge of a WWW-Authenticate header value. Never throws. */
export function parseWwwAuthenticate(header: string): AuthChallenge[] {
  const challenges: AuthChallenge[] = [];
  const cursor = { text: header, pos: 0 };
  let current: AuthChallenge | undefined;
  while (cursor.pos < header.length) {
    match(cursor, SEPARATORS);
    if (cursor.pos >= header.length) break;
    const name = match(cursor, TOKEN);
    if (!name) {
      cursor.pos += 1; // not a token character: skip it rather than give up on the rest
      continue;
    }
    match(cursor, SPACES);
    if (current && header[cursor.pos] === '=') {
      cursor.pos += 1;
      match(cursor, SPACES);
      const value = header[cursor.pos] === '"' ? readQuoted(cursor) : match(cursor, LOOSE_VALUE);
      current.params[name.toLowerCase()] ??= value;
      continue;
    }
    current = { scheme: name.toLowerCase(), params: {} };
    challenges.push(current);
    const token68 = match(cursor, TOKEN68);
    if (token68) current.token68 = token68;
  }
  return challenges;
}

function match(cursor: { text: string; pos: number }, pattern: RegExp): string {
  pattern.lastIndex = cursor.pos;
  const found = pattern.exec(cursor.text);
  if (!found) return '';
  cursor.pos = pattern.lastIndex;
  return found[0];
}

function readQuoted(cursor: { text: string; pos: number }): string {
  let value = '';
  cursor.pos += 1; // opening quote
  while (cursor.pos < cursor.text.length) {
    const char = cursor.text[cursor.pos++];
    if (char === '"') return value;
    if (char === '\\' && cursor.pos < cursor.text.length) {
      value += cursor.text[cursor.pos++];
    } else {
      value += char;
    }
  }
  return value; // unterminated: keep what there is
}

export interface ProbeResult {
  needsAuthorization: boolean;
  status: number;
  /** The request that met the challenge when it was not the first one (tools/list after an open initialize). */
  method?: string;
  resourceMetadataUrl?: string;
  scopes?: string[];
  error?: string;
  errorDescription?: string;
}

/** Scope strings are space-separated lists (RFC 6749 §3.3). */
export function splitScopes(scope: string | undefined): string[] | undefined {
  const scopes = scope?.split(/\s+/).filter(Boolean);
  return scopes && scopes.length > 0 ? scopes : undefined;
}

/** The Bearer challenge of a response, if it carries one. */
export function bearerChallenge(header: string | null): AuthChallenge | undefined {
  return header === null ? undefined : parseWwwAuthenticate(header).find((challenge) => challenge.scheme === 'bearer');
}

/** Reads what a Bearer challenge asks for; shared by the probe and the session proxy's 403 handling. */
export function describeChallenge(challenge: AuthChallenge, base: URL): Omit<ProbeResult, 'needsAuthorization' | 'status'> {
  const { resource_metadata: metadata, scope, error, error_description: description } = challenge.params;
  const result: Omit<ProbeResult, 'needsAuthorization' | 'status'> = {};
  const metadataUrl = metadata ? parseUrl(metadata, base) : undefined;
  if (metadataUrl) result.resourceMetadataUrl = metadataUrl.href;
  const scopes = splitScopes(scope);
  if (scopes) result.scopes = scopes;
  if (error) result.error = error;
  if (description) result.errorDescription = description;
  return result;
}

const CLIENT_INFO = { name: 'codex-auth', version: '0.1.0' };
/** The first MCP revision without the initialize handshake (per-request version, `server/discover`). */
export const MODERN_PROTOCOL_VERSION = '2026-07-28';
const LEGACY_PROTOCOL_VERSION = '2025-11-25';

interface ProbeRequest {
  method: string;
  headers: Record<string, string>;
  body: string;
}

/** The first request a client sends, then the ones that follow it up to tools/list. */
interface Protocol {
  opening: ProbeRequest;
  following: ProbeRequest[];
}

/** A modern server names its version on every request, in a header and in `_meta` (draft "Versioning"). */
function modernRequest(method: string, id: number): ProbeRequest {
  const meta = {
    'io.modelcontextprotocol/protocolVersion': MODERN_PROTOCOL_VERSION,
    'io.modelcontextprotocol/clientInfo': CLIENT_INFO,
    'io.modelcontextprotocol/clientCapabilities': {},
  };
  return {
    method,
    headers: { 'mcp-protocol-version': MODERN_PROTOCOL_VERSION, 'mcp-method': method },
    body: JSON.stringify({ jsonrpc: '2.0', id, method, params: { _meta: meta } }),
  };
}

/** A legacy (2025-11-25 and earlier) server opens with initialize; tools/list follows the initialized notification. */
const LEGACY: Protocol = {
  opening: {
    method: 'initialize',
    headers: {},
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: LEGACY_PROTOCOL_VERSION, capabilities: {}, clientInfo: CLIENT_INFO } }),
  },
  following: [
    { method: 'notifications/initialized', headers: { 'mcp-protocol-version': LEGACY_PROTOCOL_VERSION }, body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) },
    { method: 'tools/list', headers: { 'mcp-protocol-version': LEGACY_PROTOCOL_VERSION }, body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} }) },
  ],
};

const MODERN: Protocol = { opening: modernRequest('server/discover', 1), following: [modernRequest('tools/list', 2)] };

/**
 * A real first MCP request without a token. 401 (or 403) with a Bearer
 * challenge means authorization is needed. A modern (2026-07-28) server
 * rejects initialize with 400 for lacking the per-request version; it is then
 * asked with `server/discover` instead. When the first request is answered,
 * the requests a client sends next, up to tools/list, are tried as well:
 * servers may leave initialize open and challenge the first request that
 * does work (the MCP conformance suite's step-up scenarios), and that
 * challenge says what to ask for. Only when those are answered too does the
 * server need no authorization as far as the probe can tell.
 */
export async function probe(mcpUrl: URL, http: HttpClient): Promise<ProbeResult> {
  const legacy = await sendProbe(mcpUrl, http, LEGACY.opening);
  const [protocol, opened] = legacy.status === 400 ? [MODERN, await sendProbe(mcpUrl, http, MODERN.opening)] : [LEGACY, legacy];
  const first = readProbeAnswer(mcpUrl, opened, protocol.opening);
  if (first.needsAuthorization) return first;
  return (await laterChallenge(mcpUrl, http, protocol, opened.headers.get('mcp-session-id'))) ?? first;
}

/** The challenge a request after an open first one meets, if any; the session the server opened is closed after. */
async function laterChallenge(mcpUrl: URL, http: HttpClient, protocol: Protocol, sessionId: string | null): Promise<ProbeResult | undefined> {
  const session = sessionId ? { 'mcp-session-id': sessionId } : undefined;
  try {
    for (const request of protocol.following) {
      const response = await sendProbe(mcpUrl, http, request, session);
      const challenge = authorizationChallenge(response.status, response.headers.get('www-authenticate'), mcpUrl);
      if (challenge) return { ...challenge, method: request.method };
    }
    return undefined;
  } finally {
    if (session) await send(http, 'probe', mcpUrl, { method: 'DELETE', headers: { ...http.headers, ...session } }, { discardBody: true }).catch(() => undefined);
  }
}

function sendProbe(mcpUrl: URL, http: HttpClient, request: ProbeRequest, session?: Record<string, string>): Promise<Response> {
  const headers = new Headers(http.headers);
  headers.set('content-type', 'application/json');
  headers.set('accept', 'application/json, text/event-stream');
  for (const [name, value] of Object.entries({ ...request.headers, ...session })) headers.set(name, value);
  return send(http, 'probe', mcpUrl, { method: 'POST', headers, body: request.body }, { discardBody: true });
}

function readProbeAnswer(mcpUrl: URL, response: Response, request: ProbeRequest): ProbeResult {
  const { status } = response;
  if (status >= 200 && status < 300) {
    const contentType = response.headers.get('content-type');
    if (contentType !== null && !isMcpContentType(contentType)) throw notMcp(mcpUrl, status, contentType, request.method);
    return { needsAuthorization: false, status };
  }
  const header = response.headers.get('www-authenticate');
  const challenge = authorizationChallenge(status, header, mcpUrl);
  if (challenge) return challenge;
  throw unexpectedProbeAnswer(mcpUrl, status, header, request.method);
}

/**
 * What an MCP response asks for when it refuses a request for lack of
 * authorization (401, or 403 with a Bearer challenge), or undefined when it
 * does not. The probe uses it, and so do callers that meet the challenge on a
 * later request (servers may leave initialize open) and pass it to `login`.
 */
export function authorizationChallenge(status: number, wwwAuthenticate: string | null, base: URL): ProbeResult | undefined {
  const challenge = bearerChallenge(wwwAuthenticate);
  if (challenge && (status === 401 || status === 403)) {
    return { needsAuthorization: true, status, ...describeChallenge(challenge, base) };
  }
  // 2025-03-26 servers may answer 401 without a challenge; discovery then falls back.
  if (status === 401 && wwwAuthenticate === null) return { needsAuthorization: true, status };
  return undefined;
}

/** An MCP answer is JSON or an event stream (Streamable HTTP); anything else comes from something that is not MCP. */
function isMcpContentType(contentType: string): boolean {
  return isJsonContentType(contentType) || contentType.split(';')[0]?.trim().toLowerCase() === 'text/event-stream';
}

/** A 2xx web page (or other non-MCP content) is a wrong URL, never an open server. */
function notMcp(mcpUrl: URL, status: number, contentType: string, method: string): CodexAuthError {
  return new CodexAuthError({
    kind: 'discovery',
    step: 'probe',
    message: `${redactUrl(mcpUrl)} answered an MCP ${method} request with ${describeContentType(contentType)} (HTTP ${status}), not MCP: this url is not an MCP endpoint.`,
    hint: "Check the url: it must be the server's MCP endpoint (often ending in /mcp), not its web page.",
  });
}

function unexpectedProbeAnswer(mcpUrl: URL, status: number, header: string | null, method: string): CodexAuthError {
  const where = redactUrl(mcpUrl);
  if (header !== null && (status === 401 || status === 403)) {
    const schemes = parseWwwAuthenticate(header).map((challenge) => challenge.scheme);
    return new CodexAuthError({
      kind: 'discovery',
      step: 'probe',
      message: `${where} asks for ${schemes.join(', ') || 'an unknown kind of'} authentication (HTTP ${status}), not OAuth Bearer tokens.`,
      hint: 'Configure the credentials this server expects with http_headers instead of logging in.',
    });
  }
  return new CodexAuthError({
    kind: 'discovery',
    step: 'probe',
    message: `${where} answered HTTP ${status} to an MCP ${method} request without a token; expected 401 (log in) or 2xx (no login needed).`,
    hint:
      status === 404 || status === 405
        ? 'Check that the url points at the MCP endpoint itself (often ending in /mcp).'
        : 'Check the url and any http_headers the server needs, then try again.',
  });
}
