// Protected-resource metadata (RFC 9728) and authorization-server metadata
// (RFC 8414 / OpenID Connect Discovery), in the order the MCP spec requires.
import {
  discoveryRequest,
  JSON_ATTRIBUTE_COMPARISON,
  OperationProcessingError,
  processDiscoveryResponse,
  resourceDiscoveryRequest,
  type AuthorizationServer,
} from 'oauth4webapi';
import { CodexAuthError, type Step } from '../errors.ts';
import type { ProbeResult } from './challenge.ts';
import { describeContentType, isJsonContentType, requireJsonResponse } from './content-type.ts';
import { isRecord, toCodexAuthError } from './failures.ts';
import { assertAllowedUrl, assertNotLocalTarget, isAllowedUrl, isLocalTargetOfRemote, LOCAL_TARGET_HINT, oauthOptions, parseUrl, redactUrl, send, type HttpClient } from './http.ts';
import { resourceCoversUrl } from './resource.ts';

export interface ProtectedResourceInfo {
  /** Exactly as published. */
  resource: string;
  authorizationServers: string[];
  scopesSupported?: string[];
  metadataUrl: string;
  metadata: Record<string, unknown>;
}

/** One authorization-server metadata URL tried and what it answered, for the error when none was found. */
interface Attempt {
  url: string;
  status: number;
  /** What came instead of JSON in a 200 ("an HTML page (text/html)"). */
  notJson?: string;
}

const PRM_STEP: Step = 'resource-metadata';
const AS_STEP: Step = 'authorization-server-metadata';

/**
 * The challenge's resource_metadata URL; else the path-aware well-known URL;
 * else the root one. undefined when the server publishes none (2025-03-26
 * servers: the caller then treats the MCP origin as the issuer).
 */
export async function discoverProtectedResource(
  mcpUrl: URL,
  probe: ProbeResult,
  http: HttpClient,
): Promise<ProtectedResourceInfo | undefined> {
  const headers = { ...http.headers, accept: 'application/json' };
  if (probe.resourceMetadataUrl) {
    assertNotLocalTarget(new URL(probe.resourceMetadataUrl), mcpUrl, PRM_STEP);
    // The user's http_headers (API keys, tenant keys) are for the MCP server's own origin only.
    const sameOrigin = new URL(probe.resourceMetadataUrl).origin === mcpUrl.origin;
    const response = await send(http, PRM_STEP, probe.resourceMetadataUrl, { headers: sameOrigin ? headers : { accept: 'application/json' } });
    if (response.status !== 200) throw metadataUnavailable(response, PRM_STEP, 'protected resource metadata named by the server');
    return readProtectedResource(response, mcpUrl);
  }
  for (const identifier of wellKnownResourceIdentifiers(mcpUrl)) {
    const response = await resourceDiscoveryRequest(identifier, { ...oauthOptions(http, PRM_STEP, identifier), headers });
    if (isPageInstead(response)) {
      http.debug?.(`${redactUrl(response.url)} answered ${describeContentType(response.headers.get('content-type'))}, not metadata; trying the next location`);
      continue;
    }
    if (response.status === 200) return readProtectedResource(response, mcpUrl);
    if (!isNotThere(response.status)) throw metadataUnavailable(response, PRM_STEP, 'protected resource metadata');
  }
  return undefined;
}

/**
 * A 200 that is not JSON at a well-known location: single-page apps answer every path with their
 * HTML shell. That is no metadata, so the next candidate is tried, as after a 404.
 */
function isPageInstead(response: Response): boolean {
  return response.status === 200 && !isJsonContentType(response.headers.get('content-type'));
}

/** The MCP URL itself (path-aware), then its origin (root); just the origin for a root URL. */
function wellKnownResourceIdentifiers(mcpUrl: URL): URL[] {
  const resource = new URL(mcpUrl.href);
  resource.hash = '';
  const origin = new URL(mcpUrl.origin);
  return resource.pathname === '/' && resource.search === '' ? [origin] : [resource, origin];
}

/** A 4xx at a well-known location means "not published here": try the next one. */
function isNotThere(status: number): boolean {
  return status >= 400 && status < 500;
}

async function readProtectedResource(response: Response, mcpUrl: URL): Promise<ProtectedResourceInfo> {
  const metadataUrl = response.url;
  requireJsonResponse(response, PRM_STEP, `Reading the protected resource metadata at ${redactUrl(metadataUrl)}`);
  const metadata = await readJsonObject(response, PRM_STEP, 'Protected resource metadata');
  const { resource, authorization_servers: servers, scopes_supported: scopes } = metadata;
  if (typeof resource !== 'string' || resource === '') {
    throw invalidMetadata(PRM_STEP, `Protected resource metadata at ${redactUrl(metadataUrl)} has no "resource".`);
  }
  if (!resourceCoversUrl(resource, mcpUrl)) {
    throw new CodexAuthError({
      kind: 'discovery',
      step: PRM_STEP,
      message: `Protected resource metadata at ${redactUrl(metadataUrl)} describes "${resource}", not ${redactUrl(mcpUrl)}; refusing to use it.`,
      hint: 'The server is misconfigured or is not the server it claims to be. Check the url, and tell the server operator.',
    });
  }
  if (!isStringArray(servers) || servers.length === 0) {
    throw invalidMetadata(PRM_STEP, `Protected resource metadata at ${redactUrl(metadataUrl)} lists no authorization_servers.`);
  }
  const info: ProtectedResourceInfo = { resource, authorizationServers: servers, metadataUrl, metadata };
  if (isStringArray(scopes)) info.scopesSupported = scopes;
  return info;
}

/**
 * Issuer https://as/t1: /.well-known/oauth-authorization-server/t1, then
 * /.well-known/openid-configuration/t1, then /t1/.well-known/openid-configuration.
 * Issuer without a path: the two root documents. The document's issuer must
 * equal the issuer exactly, and it must offer PKCE with S256.
 */
export async function discoverAuthorizationServer(issuer: string, http: HttpClient, usage: AuthorizationServerUse = 'person'): Promise<AuthorizationServer> {
  const issuerUrl = parseUrl(issuer);
  if (!issuerUrl) throw invalidMetadata(AS_STEP, `The authorization server "${issuer}" is not a URL.`);
  assertAllowedUrl(issuerUrl, AS_STEP);
  const attempts: Attempt[] = [];
  for (const request of metadataRequests(issuerUrl, http)) {
    const response = await request();
    if (isPageInstead(response)) {
      attempts.push({ url: response.url, status: response.status, notJson: describeContentType(response.headers.get('content-type')) });
      http.debug?.(`${redactUrl(response.url)} answered ${attempts.at(-1)?.notJson}, not metadata; trying the next location`);
      continue;
    }
    if (response.status === 200) return validateAuthorizationServer(await readAuthorizationServer(issuer, issuerUrl, response, http), usage);
    attempts.push({ url: response.url, status: response.status });
    if (!isNotThere(response.status)) throw metadataUnavailable(response, AS_STEP, 'authorization server metadata');
  }
  const pages = attempts.filter((attempt) => attempt.notJson !== undefined);
  throw new CodexAuthError({
    kind: 'discovery',
    step: AS_STEP,
    message: `No authorization server metadata for ${issuer}. Tried ${attempts.map(describeAttempt).join(', ')}.`,
    hint:
      pages.length > 0
        ? `${pages.map((page) => redactUrl(page.url)).join(' and ')} answered with a web page instead of JSON metadata: the server (often a single-page app) does not publish RFC 8414 or OpenID Connect discovery metadata there. Tell the server operator; endpoints are never guessed.`
        : 'The authorization server must publish RFC 8414 or OpenID Connect discovery metadata; endpoints are never guessed.',
  });
}

function describeAttempt(attempt: Attempt): string {
  const url = redactUrl(attempt.url);
  return attempt.notJson ? `${url} (HTTP ${attempt.status}, ${attempt.notJson} instead of JSON)` : `${url} (${attempt.status})`;
}

function metadataRequests(issuer: URL, http: HttpClient): (() => Promise<Response>)[] {
  const options = oauthOptions(http, AS_STEP, issuer);
  const oauth = () => discoveryRequest(issuer, { ...options, algorithm: 'oauth2' });
  const oidcAppended = () => discoveryRequest(issuer, { ...options, algorithm: 'oidc' });
  if (issuer.pathname === '/') return [oauth, oidcAppended];
  const oidcInserted = () => send(http, AS_STEP, openIdInsertedUrl(issuer), { headers: { accept: 'application/json' } });
  return [oauth, oidcInserted, oidcAppended];
}

/** RFC 8414 §5 style insertion for OpenID: https://as/.well-known/openid-configuration/t1 (oauth4webapi only appends). */
function openIdInsertedUrl(issuer: URL): URL {
  const url = new URL(issuer.origin);
  url.pathname = `/.well-known/openid-configuration${issuer.pathname.replace(/\/$/, '')}`;
  return url;
}

async function readAuthorizationServer(issuer: string, issuerUrl: URL, response: Response, http: HttpClient): Promise<AuthorizationServer> {
  const metadataUrl = response.url;
  requireJsonResponse(response, AS_STEP, `Reading authorization server metadata at ${redactUrl(metadataUrl)}`);
  let metadata: AuthorizationServer;
  try {
    metadata = await processDiscoveryResponse(issuerUrl, response);
  } catch (error) {
    if (error instanceof OperationProcessingError && error.code === JSON_ATTRIBUTE_COMPARISON) {
      throw issuerMismatch(issuer, metadataUrl, error.cause);
    }
    throw toCodexAuthError(error, { step: AS_STEP, action: `Reading authorization server metadata at ${redactUrl(metadataUrl)}` });
  }
  // oauth4webapi compares normalised URLs; RFC 8414 §3.3 wants the identical string.
  if (metadata.issuer === issuer) return metadata;
  if (!isSameOriginIssuer(issuer, metadata.issuer)) throw issuerMismatch(issuer, metadataUrl, { body: metadata });
  http.debug?.(`${issuer} and the issuer its metadata names, ${metadata.issuer}, differ only by the slash of an empty path: the same URL; using "${metadata.issuer}" from here on`);
  return metadata;
}

/**
 * Google's hosted MCP servers list "https://accounts.google.com/" while its metadata names
 * "https://accounts.google.com" (and Python SDK servers the other way round). For an issuer
 * that is a bare origin, the two spellings are one URL (RFC 3986 §6.2.3: an empty path is
 * "/"), build the same well-known URLs and name the same server, so nothing the identity check
 * protects is lost. Only that: the strings must be byte-identical apart from that one slash, so
 * another host, port, path, case or a slash after a path (`/tenant/`) is still a mismatch. The
 * metadata's own spelling is then the issuer: the callback's iss (RFC 9207) must equal it
 * exactly, and registrations and tokens are kept under it.
 */
function isSameOriginIssuer(listed: string, published: string): boolean {
  const bare = listed.endsWith('/') ? listed.slice(0, -1) : listed;
  const publishedBare = published.endsWith('/') ? published.slice(0, -1) : published;
  return bare === publishedBare && parseUrl(bare)?.origin === bare;
}

/**
 * `person`: a browser or device login (PKCE S256 required); `unattended`: a grant with no
 * authorization request (client credentials), where PKCE has no part.
 */
export type AuthorizationServerUse = 'person' | 'unattended';

function validateAuthorizationServer(as: AuthorizationServer, usage: AuthorizationServerUse): AuthorizationServer {
  if (usage === 'person' && !as.code_challenge_methods_supported?.includes('S256')) {
    throw new CodexAuthError({
      kind: 'discovery',
      step: AS_STEP,
      message: `The authorization server ${as.issuer} does not advertise PKCE with S256 (code_challenge_methods_supported); refusing to continue without it.`,
      hint: 'Ask the server operator to support PKCE S256 and list it in the metadata.',
    });
  }
  if (typeof as.token_endpoint !== 'string') {
    throw invalidMetadata(AS_STEP, `The authorization server ${as.issuer} publishes no token_endpoint.`);
  }
  for (const field of ENDPOINT_FIELDS) assertUsableEndpoint(as, field);
  return as;
}

/** Every endpoint codex-auth may contact or open; checked before any registration or browser. */
const ENDPOINT_FIELDS = [
  'authorization_endpoint',
  'token_endpoint',
  'registration_endpoint',
  'revocation_endpoint',
  'device_authorization_endpoint',
] as const;

/** An endpoint, when published, must be an https URL (plain http only on loopback), on this machine only for an issuer on it. */
function assertUsableEndpoint(as: AuthorizationServer, field: (typeof ENDPOINT_FIELDS)[number]): void {
  const value: unknown = as[field];
  if (value === undefined) return;
  const url = typeof value === 'string' ? parseUrl(value) : undefined;
  const local = url !== undefined && isLocalTargetOfRemote(url, new URL(as.issuer));
  if (url && isAllowedUrl(url) && !local) return;
  throw new CodexAuthError({
    kind: 'discovery',
    step: AS_STEP,
    message: !url
      ? `The authorization server ${as.issuer} publishes a ${field} that is not a URL; refusing to use this server.`
      : local
        ? `The authorization server ${as.issuer} publishes ${field} ${redactUrl(url)}, which is on this machine while the server is not; refusing to use this server.`
        : `The authorization server ${as.issuer} publishes ${field} ${redactUrl(url)}, which is not https; refusing to use this server.`,
    hint: local
      ? LOCAL_TARGET_HINT
      : 'Only https endpoints are used (plain http only on 127.0.0.1, ::1 and localhost). Tell the server operator.',
  });
}

function issuerMismatch(issuer: string, metadataUrl: string, cause: unknown): CodexAuthError {
  const published = isRecord(cause) && isRecord(cause.body) ? cause.body.issuer : undefined;
  return new CodexAuthError({
    kind: 'discovery',
    step: AS_STEP,
    message: `Authorization server metadata at ${redactUrl(metadataUrl)} names issuer "${String(published)}", not "${issuer}"; refusing to use it.`,
    hint: 'The issuer in the metadata must be identical to the one the MCP server lists. Tell the server operator.',
  });
}

function metadataUnavailable(response: Response, step: Step, what: string): CodexAuthError {
  return new CodexAuthError({
    kind: 'discovery',
    step,
    message: `Could not read the ${what} at ${redactUrl(response.url)}: HTTP ${response.status}.`,
    hint: response.status >= 500 ? 'The server has a problem; try again later.' : 'Check the server address and any http_headers it needs.',
  });
}

function invalidMetadata(step: Step, message: string): CodexAuthError {
  return new CodexAuthError({ kind: 'discovery', step, message, hint: 'The server publishes invalid metadata; tell the server operator.' });
}

async function readJsonObject(response: Response, step: Step, what: string): Promise<Record<string, unknown>> {
  let body: unknown;
  try {
    body = JSON.parse(await response.text());
  } catch {
    body = undefined;
  }
  if (!isRecord(body)) {
    const type = response.headers.get('content-type') ?? 'no content type';
    throw invalidMetadata(step, `${what} at ${redactUrl(response.url)} is not a JSON object (${type}).`);
  }
  return body;
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

/**
 * Refuses a grant the server's grant_types_supported leaves out. A server that publishes no list
 * is asked anyway (RFC 8414's default names only the browser grants, but many servers omit the
 * list); its token endpoint then answers for itself.
 */
export function requireGrantType(as: AuthorizationServer, grantType: string, alternatives: string): void {
  const listed = as.grant_types_supported;
  if (listed === undefined || listed.includes(grantType)) return;
  throw new CodexAuthError({
    kind: 'discovery',
    step: AS_STEP,
    message: `The authorization server ${as.issuer} does not offer the ${grantType} grant (grant_types_supported: ${listed.join(', ') || 'none'}).`,
    hint: alternatives,
  });
}
