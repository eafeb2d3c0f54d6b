// Every network call of the OAuth engine goes through `send`: it enforces
// https (loopback excepted), refuses redirects, applies the timeout and the
// body cap, and writes the redacted request trail. oauth4webapi reaches it
// through its `customFetch` option (see `oauthOptions`).
import { allowInsecureRequests, customFetch, type CustomFetchOptions } from 'oauth4webapi';
import { CodexAuthError, type ErrorKind, type Step } from '../errors.ts';

export interface HttpClient {
  /** Injected, never the global one implicitly: tests pass their own. */
  fetch: typeof fetch;
  /** Per request, body included. */
  timeoutMs: number;
  /** Cap on what is read from any response. */
  maxBodyBytes: number;
  /** Extra headers for requests to the MCP server (probe, resource metadata), from the user's http_headers. */
  headers: Record<string, string>;
  /** Request trail: method, redacted URL, status. Never a secret. */
  debug?: (line: string) => void;
}

const DEFAULT_TIMEOUT_MS = 15_000;
const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

export function createHttpClient(init: Partial<HttpClient> & { fetch?: typeof fetch } = {}): HttpClient {
  const client: HttpClient = {
    fetch: init.fetch ?? ((input, options) => globalThis.fetch(input, options)),
    timeoutMs: init.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    maxBodyBytes: init.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    headers: init.headers ?? {},
  };
  if (init.debug) client.debug = init.debug;
  return client;
}

/** The kind of failure a step reports, so exit codes say where things went wrong. */
export function kindForStep(step: Step): ErrorKind {
  switch (step) {
    case 'probe':
    case 'resource-metadata':
    case 'authorization-server-metadata':
      return 'discovery';
    case 'registration':
      return 'registration';
    case 'authorization':
    case 'callback':
      return 'authorization';
    case 'token-exchange':
    case 'refresh':
    case 'revocation':
    case 'device-authorization':
    case 'client-credentials':
    case 'jwt-bearer':
    case 'idp-token-exchange':
      return 'token';
    case 'credentials':
      return 'credentials';
    default:
      return 'failure';
  }
}

export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/**
 * Whether a host is this machine, in any spelling that reaches it: loopback names (a trailing
 * dot, *.localhost) and addresses (127/8, ::1, IPv4-mapped), and the unspecified address.
 */
export function isLocalHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '');
  if (isLoopbackHost(host) || host.endsWith('.localhost') || host === '::') return true;
  if (/^0\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)) return true;
  const mapped = /^::ffff:([0-9a-f]{1,4}):[0-9a-f]{1,4}$/.exec(host);
  const firstOctet = mapped ? Number.parseInt(mapped[1]!, 16) >> 8 : undefined;
  return firstOctet === 127 || firstOctet === 0;
}

/**
 * A URL named by a server's document may point at this machine only when that server is on it:
 * a remote document must not aim codex-auth at local services.
 */
export function isLocalTargetOfRemote(url: URL, namedBy: URL): boolean {
  return isLocalHost(url.hostname) && !isLocalHost(namedBy.hostname);
}

export const LOCAL_TARGET_HINT = 'A remote server may not aim codex-auth at services on your computer; tell the server operator.';

export function assertNotLocalTarget(url: URL, namedBy: URL, step: Step): void {
  if (!isLocalTargetOfRemote(url, namedBy)) return;
  throw new CodexAuthError({
    kind: kindForStep(step),
    step,
    message: `Refusing to contact ${redactUrl(url)}: it is on this machine, and ${namedBy.origin}, which names it, is not.`,
    hint: LOCAL_TARGET_HINT,
  });
}

/** https everywhere; plain http only for loopback hosts (local servers and tests). */
export function isAllowedUrl(url: URL): boolean {
  return url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname));
}

export function isLoopbackHttpUrl(url: string | URL): boolean {
  const parsed = parseUrl(String(url));
  return parsed !== undefined && parsed.protocol === 'http:' && isLoopbackHost(parsed.hostname);
}

export function parseUrl(text: string, base?: string | URL): URL | undefined {
  try {
    return new URL(text, base);
  } catch {
    return undefined;
  }
}

export function assertAllowedUrl(url: URL, step: Step): void {
  if (isAllowedUrl(url)) return;
  throw new CodexAuthError({
    kind: kindForStep(step),
    step,
    message: `Refusing to contact ${redactUrl(url)}: only https URLs are allowed (http only for 127.0.0.1, ::1 and localhost).`,
    hint: 'Use the https address of the server.',
  });
}

const SECRET_QUERY_PARAMETERS = [
  'code',
  'state',
  'token',
  'access_token',
  'refresh_token',
  'id_token',
  'client_secret',
  'code_verifier',
  'device_code',
  'user_code',
];

/** A URL fit for logs and messages: credentials and secret query values replaced. */
export function redactUrl(url: URL | string): string {
  const copy = new URL(String(url));
  if (copy.username) copy.username = 'redacted';
  if (copy.password) copy.password = 'redacted';
  for (const name of SECRET_QUERY_PARAMETERS) {
    if (copy.searchParams.has(name)) copy.searchParams.set(name, 'redacted');
  }
  return copy.href;
}

const SECRET_FIELDS = [...SECRET_QUERY_PARAMETERS, 'password', 'assertion', 'client_assertion'];
const EXCERPT_LENGTH = 300;
/**
 * How much of a body the excerpt reads: enough to fill the excerpt after whitespace folding, and a
 * bound on the work, so that a megabyte of hostile text costs no more than a short answer.
 */
const EXCERPT_SOURCE_LENGTH = 4096;
const SECRET_FIELD_NAMES = SECRET_FIELDS.join('|');
// Each pattern runs in linear time and also redacts a value cut short by the bounded slice:
// an unterminated JSON string, a partial JWT (anything that starts like one).
const SECRET_JSON_FIELD = new RegExp(`("(?:${SECRET_FIELD_NAMES})"[ \\t\\r\\n]*:[ \\t\\r\\n]*)"(?:[^"\\\\]|\\\\[^])*(?:"|\\\\?$)`, 'g');
const SECRET_FORM_FIELD = new RegExp(`(^|[?&\\s])((?:${SECRET_FIELD_NAMES})=)[^&\\s]*`, 'g');
const JWT_LIKE = /eyJ[\w.-]*/g;
const BEARER_VALUE = /(bearer[ \t]+)[\w.~+/=-]+/gi;

/**
 * The start of a server's answer, fit for --debug and doctor: secret fields (JSON or form),
 * JWTs and bearer values redacted, whitespace folded, at most a few hundred characters.
 */
export function bodyExcerpt(text: string): string {
  const redacted = text
    .slice(0, EXCERPT_SOURCE_LENGTH)
    .replace(SECRET_JSON_FIELD, '$1"redacted"')
    .replace(SECRET_FORM_FIELD, '$1$2redacted')
    .replace(JWT_LIKE, 'redacted-jwt')
    .replace(BEARER_VALUE, '$1redacted')
    .replace(/\s+/g, ' ')
    .trim();
  return redacted.length > EXCERPT_LENGTH || text.length > EXCERPT_SOURCE_LENGTH ? `${redacted.slice(0, EXCERPT_LENGTH)}…` : redacted;
}

export interface SendOptions {
  /** Drop the body unread (a 2xx probe may answer with an open event stream). */
  discardBody?: boolean;
}

/**
 * Sends one request. Resolves with a Response whose body is already read (and
 * capped) so later parsing cannot hang; rejects with CodexAuthError on refused
 * URLs, redirects, timeouts, connection failures and oversized bodies.
 */
export async function send(
  http: HttpClient,
  step: Step,
  url: string | URL,
  init: RequestInit = {},
  options: SendOptions = {},
): Promise<Response> {
  const target = new URL(String(url));
  assertAllowedUrl(target, step);
  const method = init.method ?? 'GET';
  // A referenced timer (unlike AbortSignal.timeout) keeps the process waiting for the answer.
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(new DOMException('request timed out', 'TimeoutError')), http.timeoutMs);
  const signal = init.signal ? AbortSignal.any([init.signal, timeout.signal]) : timeout.signal;
  try {
    const response = await fetchOnce(http, step, target, { ...init, method, redirect: 'manual', signal }, init.signal);
    refuseRedirect(response, target, step);
    if (options.discardBody) {
      await response.body?.cancel().catch(() => undefined);
      return withUrl(new Response(null, { status: response.status, statusText: response.statusText, headers: response.headers }), target);
    }
    const body = await readCappedBody(response, http, target, step, signal, init.signal);
    // Excerpted only for a trail someone reads.
    if (http.debug && response.status >= 400 && body) {
      const answer = bodyExcerpt(new TextDecoder().decode(body));
      if (answer) http.debug(`  answer: ${answer}`);
    }
    return withUrl(rebuild(response, body), target);
  } finally {
    clearTimeout(timer);
  }
}

async function fetchOnce(http: HttpClient, step: Step, target: URL, init: RequestInit & { method: string; signal: AbortSignal }, callerSignal?: AbortSignal | null): Promise<Response> {
  const doFetch = http.fetch;
  try {
    const response = await doFetch(target.href, init);
    http.debug?.(`${init.method} ${redactUrl(target)} -> ${response.status}`);
    return response;
  } catch (error) {
    http.debug?.(`${init.method} ${redactUrl(target)} -> failed`);
    throw connectionFailure(error, target, step, http.timeoutMs, callerSignal);
  }
}

/** Options that route an oauth4webapi call through `send` for one step. */
export function oauthOptions(http: HttpClient, step: Step, endpoint: string | URL | undefined) {
  return {
    [customFetch]: (url: string, options: CustomFetchOptions<string, unknown>) =>
      send(http, step, url, {
        method: options.method,
        headers: options.headers,
        body: options.body as RequestInit['body'],
        ...(options.signal ? { signal: options.signal } : {}),
      }),
    // Only loopback endpoints may be plain http; `send` enforces the same rule for every request.
    [allowInsecureRequests]: endpoint !== undefined && isLoopbackHttpUrl(endpoint),
  };
}

function refuseRedirect(response: Response, target: URL, step: Step): void {
  if (response.status < 300 || response.status > 399) return;
  const location = response.headers.get('location');
  if (location === null) return;
  const destination = parseUrl(location, target);
  const shown = destination ? redactUrl(destination) : location;
  const otherHost = destination !== undefined && destination.origin !== target.origin;
  throw new CodexAuthError({
    kind: kindForStep(step),
    step,
    message: `${redactUrl(target)} redirected (HTTP ${response.status}) to ${shown}${otherHost ? ', another host' : ''}; redirects are not followed.`,
    hint: SERVER_NAMED_STEPS.has(step)
      ? `Tell the server operator to answer at ${redactUrl(target)} itself; redirects are never followed during a login (one could lead it elsewhere).`
      : otherHost
        ? 'If the server really moved, configure its new address yourself after checking it.'
        : `Use ${shown} directly if that is the server's real address.`,
  });
}

/**
 * Steps whose URLs come from the servers' own documents (metadata, a challenge), never from the
 * person's configuration: a redirect there is the operator's to fix, as nobody can configure
 * another well-known or token endpoint URL.
 */
const SERVER_NAMED_STEPS: ReadonlySet<Step> = new Set<Step>([
  'resource-metadata',
  'authorization-server-metadata',
  'registration',
  'token-exchange',
  'refresh',
  'revocation',
  'device-authorization',
  'client-credentials',
  'jwt-bearer',
]);

function connectionFailure(error: unknown, target: URL, step: Step, timeoutMs: number, callerSignal?: AbortSignal | null): unknown {
  if (callerSignal?.aborted) return callerSignal.reason;
  if (error instanceof CodexAuthError) return error;
  const where = `${target.host} (${step})`;
  if (isTimeout(error)) {
    return new CodexAuthError({
      kind: 'network',
      step,
      message: `${where} did not answer within ${formatDuration(timeoutMs)}.`,
      hint: 'Check your connection and the server address, then try again.',
      cause: error,
    });
  }
  if (isBlockedPort(error)) {
    return new CodexAuthError({
      kind: 'network',
      step,
      message: `Could not reach ${where}: port ${target.port} is one that fetch refuses to use (the Fetch standard's "bad ports", such as 6000 for X11).`,
      hint: 'Run the server on another port, and change its url in config.toml.',
      cause: error,
    });
  }
  return new CodexAuthError({
    kind: 'network',
    step,
    message: `Could not reach ${where}: ${describeNetworkError(error)}.`,
    hint: 'Check your connection, proxy settings and the server address, then try again.',
    cause: error,
  });
}

/** "700 ms", "1.5 s", "15 s", "10 min": a sub-second timeout must not read as "within 1 s". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000} min`;
  return `${Number((ms / 1000).toFixed(1))} s`;
}

function isTimeout(error: unknown): boolean {
  return error instanceof Error && (error.name === 'TimeoutError' || (error.name === 'AbortError' && isTimeout(error.cause)));
}

/** Node's fetch (undici) refuses the Fetch standard's blocked ports with the cause "bad port". */
function isBlockedPort(error: unknown): boolean {
  return error instanceof Error && error.cause instanceof Error && error.cause.message === 'bad port';
}

/**
 * What failed under a fetch that threw, in words first (connection refused, DNS, TLS, timeout)
 * and then what Node said: login's messages and doctor's request list use the same words.
 */
export function describeNetworkError(error: unknown): string {
  if (isTimeout(error)) return 'timed out';
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  const message = cause instanceof Error ? cause.message : String(cause);
  const detail = code && !message.includes(code) ? `${code} ${message}` : message;
  const kind = code === undefined ? undefined : networkFailureKind(code);
  return kind ? `${kind} (${detail})` : detail;
}

function networkFailureKind(code: string): string | undefined {
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') return 'connection closed by the server';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NODATA') return 'DNS lookup failed';
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return 'host unreachable';
  if (code === 'ETIMEDOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') return 'timed out';
  if (/^(ERR_TLS|ERR_SSL|CERT_|UNABLE_TO_|DEPTH_ZERO|SELF_SIGNED|ERR_OSSL)/.test(code)) return 'TLS failed';
  return undefined;
}

async function readCappedBody(
  response: Response,
  http: HttpClient,
  target: URL,
  step: Step,
  signal: AbortSignal,
  callerSignal: AbortSignal | null | undefined,
): Promise<Uint8Array | null> {
  if (response.body === null) return null;
  const declared = Number(response.headers.get('content-length'));
  if (declared > http.maxBodyBytes) {
    await response.body.cancel().catch(() => undefined);
    throw bodyTooLarge(target, step, http.maxBodyBytes);
  }
  const reader = response.body.getReader();
  const aborted = abortPromise(signal);
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await Promise.race([reader.read(), aborted]);
      if (done) break;
      total += value.byteLength;
      if (total > http.maxBodyBytes) throw bodyTooLarge(target, step, http.maxBodyBytes);
      chunks.push(value);
    }
  } catch (error) {
    void reader.cancel().catch(() => undefined);
    throw connectionFailure(error, target, step, http.timeoutMs, callerSignal);
  }
  return concat(chunks, total);
}

function abortPromise(signal: AbortSignal): Promise<never> {
  const promise = new Promise<never>((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
  promise.catch(() => undefined); // only observed when it wins a race
  return promise;
}

function bodyTooLarge(target: URL, step: Step, limit: number): CodexAuthError {
  return new CodexAuthError({
    kind: kindForStep(step),
    step,
    message: `${redactUrl(target)} answered with more than ${limit} bytes; the answer was cut off and rejected.`,
    hint: 'Check that the address points at the right server.',
  });
}

function concat(chunks: Uint8Array[], total: number): Uint8Array {
  const joined = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    joined.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return joined;
}

const NULL_BODY_STATUSES = new Set([101, 204, 205, 304]);

function rebuild(original: Response, body: Uint8Array | null): Response {
  return new Response(NULL_BODY_STATUSES.has(original.status) ? null : body, {
    status: original.status,
    statusText: original.statusText,
    headers: original.headers,
  });
}

/** A constructed Response has an empty `url`; keep the real one for messages. */
function withUrl(response: Response, url: URL): Response {
  Object.defineProperty(response, 'url', { value: url.href });
  return response;
}
