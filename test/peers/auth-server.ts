// A real OAuth 2.1 / OpenID authorization server for tests: oidc-provider 9 behind a small node http
// server that records every request, serves the RFC 8414 / OIDC well-known forms the test asks for,
// and hosts the login/consent interaction a headless browser drives (test/peers/browser.ts).
import http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import * as jose from 'jose';
import Provider, { errors } from 'oidc-provider';
import type { InteractionDetails } from 'oidc-provider';
import { closeServer, listenOnLoopback, readBody } from './net.ts';

export type MetadataForm = 'oauth-insert' | 'oidc-insert' | 'oidc-append';

export interface PreRegisteredClient {
  client_id: string;
  client_secret?: string;
  redirect_uris: string[];
  token_endpoint_auth_method?: string;
  /** Default 'web': the redirect URI must match exactly, port included ('native' allows any loopback port). */
  application_type?: 'web' | 'native';
}

export interface AuthServerOptions {
  /** '' (default) or e.g. '/tenant1': the issuer then has a path. */
  issuerPath?: string;
  /** Which well-known URLs answer (default: all three), all with the same metadata. */
  metadataForms?: MetadataForm[];
  /** The provider's scopes (scopes_supported); a registration may only ask for these. */
  scopes?: string[];
  /**
   * Resource indicator -> the scopes that audience accepts. Tokens are ES256 JWTs with aud = resource;
   * an unknown resource gets invalid_target. Read on every request, so entries may be added later.
   */
  resources: Record<string, { scope: string }>;
  /** Default true: authorization and code/refresh token requests without `resource` get invalid_target. */
  requireResource?: boolean;
  /** Fastmail: a registration without `scope` gets 400 invalid_client_metadata "invalid_request no scope". */
  requireScopeOnRegistration?: boolean;
  accessTokenTtlSeconds?: number;
  /** Default true; reusing a rotated refresh token then revokes the whole grant. */
  rotateRefreshTokens?: boolean;
  clients?: PreRegisteredClient[];
  /** Default true; false drops code_challenge_methods_supported from the metadata. */
  advertiseS256?: boolean;
  /** The metadata names this issuer instead of the real one. */
  metadataIssuerOverride?: string;
  /** RFC 8628; pre-registered clients then also get the device_code grant. */
  deviceFlow?: boolean;
  /** Added delay before answering every request. */
  latencyMs?: number;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string[]>;
  /** Parsed urlencoded body. Holds secrets (codes, verifiers, tokens): assert on it, never print it. */
  form?: Record<string, string[]>;
  json?: unknown;
  status: number;
}

export interface AuthServer {
  issuer: string;
  origin: string;
  jwksUri: string;
  requests: RecordedRequest[];
  registrations(): unknown[];
  tokenRequests(grantType?: string): RecordedRequest[];
  close(): Promise<void>;
}

/** The one account the interaction logs in. */
export const TEST_ACCOUNT_ID = 'test-user';

const DEFAULT_SCOPES = ['openid', 'offline_access', 'mcp:read', 'mcp:write'];
const ALL_METADATA_FORMS: MetadataForm[] = ['oauth-insert', 'oidc-insert', 'oidc-append'];
const GRANTS_NEEDING_RESOURCE = new Set(['authorization_code', 'refresh_token']);

export async function startAuthServer(options: AuthServerOptions): Promise<AuthServer> {
  const issuerPath = normalizeIssuerPath(options.issuerPath ?? '');
  const server = http.createServer();
  const origin = await listenOnLoopback(server);
  const issuer = origin + issuerPath;
  const provider = new Provider(issuer, await buildConfiguration(options, issuerPath));
  provider.on('server_error', (_ctx, error) => console.error('auth-server error:', error));

  const front = new FrontServer(provider, options, issuerPath, origin);
  const { requests } = front;
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    front.handle(req, res).catch((error: unknown) => {
      console.error('auth-server front error:', error);
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  // Fetched before recording starts, so tests only see their own requests.
  front.metadata = await fetchProviderMetadata(issuer, options);
  front.recording = true;

  const path = (name: string) => issuerPath + name;
  return {
    issuer,
    origin,
    jwksUri: `${issuer}/jwks`,
    requests,
    registrations: () => requests.filter((r) => r.method === 'POST' && r.path === path('/reg')).map((r) => r.json),
    tokenRequests: (grantType) =>
      requests.filter(
        (r) => r.method === 'POST' && r.path === path('/token') && (!grantType || r.form?.grant_type?.[0] === grantType),
      ),
    close: () => closeServer(server),
  };
}

class FrontServer {
  /** Unset while starting: the provider's own discovery document is then fetched through to it. */
  metadata: Record<string, unknown> | undefined;
  recording = false;
  readonly requests: RecordedRequest[] = [];
  private readonly providerHandler;
  private readonly wellKnownForms: Map<string, MetadataForm[]>;
  private readonly interactionRoute: RegExp;

  constructor(
    private readonly provider: Provider,
    private readonly options: AuthServerOptions,
    private readonly issuerPath: string,
    private readonly origin: string,
  ) {
    this.providerHandler = provider.callback();
    this.wellKnownForms = wellKnownPaths(issuerPath);
    this.interactionRoute = new RegExp(`^${escapeRegExp(issuerPath)}/interaction/([\\w-]+)(?:/(approve|abort))?$`);
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (this.options.latencyMs) await delay(this.options.latencyMs);
    const url = new URL(req.url ?? '/', this.origin);
    const record: RecordedRequest = { method: req.method ?? 'GET', path: url.pathname, query: multiMap(url.searchParams), status: 0 };
    if (this.recording) this.requests.push(record);
    res.on('finish', () => (record.status = res.statusCode));
    if (req.method === 'POST') await this.bufferBody(req, record);

    const forms = this.wellKnownForms.get(url.pathname);
    if (forms && this.metadata) return this.serveMetadata(res, forms, this.metadata);
    const interaction = this.interactionRoute.exec(url.pathname);
    if (interaction) return this.handleInteraction(req, res, interaction[2]);
    if (this.refusesMissingResource(url.pathname, record)) {
      return sendJson(res, 400, { error: 'invalid_target', error_description: 'resource indicator is required' });
    }
    if (url.pathname === this.issuerPath || url.pathname.startsWith(`${this.issuerPath}/`)) {
      this.applyDefaultScope(req, url);
      return this.forwardToProvider(req, res);
    }
    sendJson(res, 404, { error: 'not_found' });
  }

  // The body is read here to record it; oidc-provider then takes it from req.body.
  private async bufferBody(req: IncomingMessage, record: RecordedRequest): Promise<void> {
    const body = await readBody(req);
    (req as IncomingMessage & { body?: Buffer }).body = body;
    const type = req.headers['content-type'] ?? '';
    if (type.startsWith('application/x-www-form-urlencoded')) record.form = multiMap(new URLSearchParams(body.toString()));
    else if (type.startsWith('application/json')) record.json = parseJsonOrText(body.toString());
  }

  private serveMetadata(res: ServerResponse, forms: MetadataForm[], metadata: Record<string, unknown>): void {
    const enabled = this.options.metadataForms ?? ALL_METADATA_FORMS;
    if (!forms.some((form) => enabled.includes(form))) return sendJson(res, 404, { error: 'not_found' });
    sendJson(res, 200, metadata);
  }

  private refusesMissingResource(path: string, record: RecordedRequest): boolean {
    if (this.options.requireResource === false || record.method !== 'POST' || path !== `${this.issuerPath}/token`) {
      return false;
    }
    return GRANTS_NEEDING_RESOURCE.has(record.form?.grant_type?.[0] ?? '') && !record.form?.resource?.length;
  }

  // RFC 6749 §3.3: an authorization request without `scope` gets a default, here the resource's
  // scopes (oidc-provider alone would answer access_denied, having granted nothing). The browser
  // request carries its parameters in the query, the device authorization request (RFC 8628) in its form.
  private applyDefaultScope(req: IncomingMessage, url: URL): void {
    if (url.pathname === `${this.issuerPath}/auth`) {
      if (this.withDefaultScope(url.searchParams)) req.url = url.pathname + url.search;
    } else if (url.pathname === `${this.issuerPath}/device/auth` && req.method === 'POST') {
      const body = req as IncomingMessage & { body?: Buffer };
      const form = new URLSearchParams(body.body?.toString() ?? '');
      if (this.withDefaultScope(form)) body.body = Buffer.from(form.toString());
    }
  }

  /** Adds the resource's default scope to parameters that name a resource but no scope; true when it did. */
  private withDefaultScope(params: URLSearchParams): boolean {
    const resource = params.get('resource');
    const defaults = resource ? this.options.resources[resource]?.scope : undefined;
    if (params.has('scope') || !defaults) return false;
    params.set('scope', defaults);
    return true;
  }

  private forwardToProvider(req: IncomingMessage, res: ServerResponse): void {
    if (this.issuerPath) {
      // Mounted like express does it: oidc-provider derives its mount path from originalUrl.
      (req as IncomingMessage & { originalUrl?: string }).originalUrl = req.url;
      req.url = (req.url ?? '/').slice(this.issuerPath.length) || '/';
    }
    this.providerHandler(req, res);
  }

  private async handleInteraction(req: IncomingMessage, res: ServerResponse, action: string | undefined): Promise<void> {
    const details = await this.provider.interactionDetails(req, res);
    if (!action) return sendInteractionPage(res, details);
    if (action === 'abort') {
      const denied = { error: 'access_denied', error_description: 'End-User aborted interaction' };
      return this.provider.interactionFinished(req, res, denied, { mergeWithLastSubmission: false });
    }
    const result =
      details.prompt.name === 'login'
        ? { login: { accountId: TEST_ACCOUNT_ID } }
        : { consent: { grantId: await this.grantEverythingAsked(details) } };
    await this.provider.interactionFinished(req, res, result, { mergeWithLastSubmission: true });
  }

  private async grantEverythingAsked(details: InteractionDetails): Promise<string> {
    const { Grant } = this.provider;
    const accountId = details.session?.accountId ?? TEST_ACCOUNT_ID;
    const grant =
      (details.grantId ? await Grant.find(details.grantId) : undefined) ??
      new Grant({ accountId, clientId: details.params.client_id });
    const missing = details.prompt.details as {
      missingOIDCScope?: string[];
      missingOIDCClaims?: string[];
      missingResourceScopes?: Record<string, string[]>;
    };
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    for (const [resource, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
      grant.addResourceScope(resource, scopes.join(' '));
    }
    return grant.save();
  }
}

async function buildConfiguration(options: AuthServerOptions, issuerPath: string): Promise<Record<string, unknown>> {
  const ttl = options.accessTokenTtlSeconds ?? 3600;
  const rotate = options.rotateRefreshTokens ?? true;
  const requireResource = options.requireResource ?? true;
  return {
    jwks: { keys: [await generateSigningKey()] },
    clients: (options.clients ?? []).map((client) => toClientMetadata(client, options.deviceFlow ?? false)),
    scopes: options.scopes ?? DEFAULT_SCOPES,
    claims: { openid: ['sub'] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    clientDefaults: { id_token_signed_response_alg: 'ES256' },
    pkce: { required: () => true },
    // Every artifact's lifetime is set so oidc-provider does not print a notice for each default.
    ttl: { AccessToken: ttl, AuthorizationCode: 60, IdToken: 3600, DeviceCode: 600, Interaction: 600, Session: 86400, Grant: 86400, RefreshToken: 86400 },
    features: {
      devInteractions: { enabled: false },
      registration: { enabled: true },
      revocation: { enabled: true },
      deviceFlow: { enabled: options.deviceFlow ?? false },
      resourceIndicators: {
        enabled: true,
        // Called when a request names no resource: refusing here is what makes a missing `resource` visible.
        defaultResource: (_ctx: unknown, _client: unknown, oneOf?: string[]) => {
          if (oneOf) return oneOf;
          if (requireResource) throw new errors.InvalidTarget('resource indicator is required');
          return undefined;
        },
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx: unknown, resource: string) => {
          const server = options.resources[resource];
          if (!server) throw new errors.InvalidTarget();
          return {
            scope: server.scope,
            audience: resource,
            accessTokenTTL: ttl,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'ES256' } },
          };
        },
      },
    },
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `${issuerPath}/interaction/${interaction.uid}` },
    findAccount: (_ctx: unknown, sub: string) => ({ accountId: sub, claims: () => ({ sub }) }),
    issueRefreshToken: (_ctx: unknown, client: { grantTypeAllowed(type: string): boolean }) =>
      client.grantTypeAllowed('refresh_token'),
    expiresWithSession: () => false,
    rotateRefreshToken: () => rotate,
    ...(options.requireScopeOnRegistration ? { extraClientMetadata: scopeRequiredOnRegistration() } : {}),
  };
}

// The Fastmail behaviour: a dynamic registration without `scope` is refused.
function scopeRequiredOnRegistration() {
  return {
    properties: ['scope'],
    validator(ctx: unknown, key: string, value: unknown) {
      const isRegistration = ctx !== undefined;
      if (key === 'scope' && isRegistration && !value) {
        throw new errors.InvalidClientMetadata('invalid_request no scope');
      }
    },
  };
}

const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

function toClientMetadata(client: PreRegisteredClient, deviceFlow: boolean): Record<string, unknown> {
  return {
    ...client,
    application_type: client.application_type ?? 'web',
    grant_types: ['authorization_code', 'refresh_token', ...(deviceFlow ? [DEVICE_CODE_GRANT] : [])],
    response_types: ['code'],
    token_endpoint_auth_method: client.token_endpoint_auth_method ?? (client.client_secret ? 'client_secret_basic' : 'none'),
  };
}

async function generateSigningKey(): Promise<jose.JWK> {
  const { privateKey } = await jose.generateKeyPair('ES256', { extractable: true });
  return { ...(await jose.exportJWK(privateKey)), kid: randomUUID(), alg: 'ES256', use: 'sig' };
}

async function fetchProviderMetadata(issuer: string, options: AuthServerOptions): Promise<Record<string, unknown>> {
  const response = await fetch(`${issuer}/.well-known/openid-configuration`);
  if (!response.ok) throw new Error(`auth-server: own metadata answered ${response.status}`);
  const metadata = (await response.json()) as Record<string, unknown>;
  if (options.advertiseS256 === false) delete metadata.code_challenge_methods_supported;
  if (options.metadataIssuerOverride) metadata.issuer = options.metadataIssuerOverride;
  return metadata;
}

// For issuer path /t1: RFC 8414 and OIDC "insert" forms put the well-known part before the path,
// OIDC Discovery appends it. Without a path, the two OIDC forms are the same URL.
function wellKnownPaths(issuerPath: string): Map<string, MetadataForm[]> {
  const paths = new Map<string, MetadataForm[]>();
  const add = (path: string, form: MetadataForm) => paths.set(path, [...(paths.get(path) ?? []), form]);
  add(`/.well-known/oauth-authorization-server${issuerPath}`, 'oauth-insert');
  add(`/.well-known/openid-configuration${issuerPath}`, 'oidc-insert');
  add(`${issuerPath}/.well-known/openid-configuration`, 'oidc-append');
  return paths;
}

function sendInteractionPage(res: ServerResponse, details: InteractionDetails): void {
  const html = `<!doctype html><title>${details.prompt.name}</title>
<form method="post" action="${details.uid}/approve"><button>Approve ${details.prompt.name}</button></form>
<form method="post" action="${details.uid}/abort"><button>Deny</button></form>`;
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
}

function normalizeIssuerPath(path: string): string {
  if (!path || path === '/') return '';
  const withSlash = path.startsWith('/') ? path : `/${path}`;
  return withSlash.replace(/\/+$/, '');
}

function multiMap(params: URLSearchParams): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [key, value] of params) (out[key] ??= []).push(value);
  return out;
}

function parseJsonOrText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
