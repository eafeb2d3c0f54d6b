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
// oidc-provider's own client credentials handler and its helpers, reused to issue the JWT-bearer grant's token.
// @ts-expect-error deep imports of oidc-provider's internals carry no types
import { handler as clientCredentialsHandler } from 'oidc-provider/lib/actions/grants/client_credentials.js';
// @ts-expect-error as above
import * as grantHelpers from 'oidc-provider/lib/helpers/grants.js';

export type MetadataForm = 'oauth-insert' | 'oidc-insert' | 'oidc-append';

export interface PreRegisteredClient {
  client_id: string;
  client_secret?: string;
  redirect_uris: string[];
  token_endpoint_auth_method?: string;
  /** Default 'web': the redirect URI must match exactly, port included ('native' allows any loopback port). */
  application_type?: 'web' | 'native';
  /** Default: the browser grants (and the device grant with deviceFlow). ['client_credentials']: a service client. */
  grant_types?: string[];
  /** private_key_jwt: the client's public keys (oidc-provider verifies the assertion's signature, aud, exp and single use of its jti). */
  jwks?: { keys: jose.JWK[] };
  /** The scopes the client may be granted (oidc-provider checks a client_credentials request against it). */
  scope?: string;
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
  /** The client_credentials grant (OAuth 2.1 §4.2), for clients registered with it. */
  clientCredentials?: boolean;
  /**
   * The JWT-bearer grant (RFC 7523 §2.1) for workload JWTs of this issuer, signed by one of these
   * keys: signature, iss, aud (this server's issuer or token endpoint), exp and single use of the jti
   * are checked; then a token is issued as for client credentials, for the resource asked.
   */
  jwtBearer?: { trustedIssuer: string; keys: jose.JWK[] };
  /** Overrides the metadata's grant_types_supported and token_endpoint_auth_methods_supported. */
  advertised?: { grantTypes?: string[]; authMethods?: string[] };
  /** Added delay before answering every request. */
  latencyMs?: number;
  /** How this server departs from the specs the way real ones do (issue #12); none by default. */
  quirks?: AuthServerQuirks;
}

/**
 * Deviations of real authorization servers, applied in front of oidc-provider, which still does
 * the real work (and so still refuses what such a server would refuse, e.g. a refresh asking for
 * the comma string "a,b" as one scope).
 */
export interface AuthServerQuirks {
  /** Supabase: a successful token answer comes with this status (201 Created) instead of 200. */
  tokenSuccessStatus?: number;
  /** GitHub: token endpoint errors come with this status (200) instead of 400/401. */
  tokenErrorStatus?: number;
  /** GitHub: the granted scope is written comma-separated ("a,b"); GitHub Apps: it is empty (""). */
  grantedScope?: 'comma-separated' | 'empty';
  /** Figma: a registration whose client_name is not on this list gets 403 "Forbidden" in plain text. */
  allowedClientNames?: string[];
  /**
   * Figma: every registration gets a client_secret that the token endpoint requires (HTTP Basic),
   * while the registration answer says token_endpoint_auth_method "none".
   */
  secretWithAuthMethodNone?: boolean;
  /** Gluu oxAuth (return200OnClientRegistration, on by default): a registration is answered 200 OK instead of 201 Created. */
  registrationSuccessStatus?: number;
  /**
   * A single-page app on the same origin: the metadata locations this server does not serve
   * (metadataForms) answer 200 text/html with the app's shell instead of 404.
   */
  singlePageApp?: boolean;
  /**
   * oidc-provider's own refresh-token rule (OIDC Core §11, also better-auth's): offline_access
   * is dropped unless the authorization request says prompt=consent, and no refresh token is
   * issued without it. Without this quirk the test server issues one to every client allowed
   * the refresh_token grant.
   */
  stockRefreshTokenPolicy?: boolean;
  /** Pads every access token (a signed JWT) with a claim, to about this many bytes (12 KB tokens). */
  accessTokenBytes?: number;
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
  /**
   * Forgets every dynamically registered client, as AWS sign-in and in-memory servers do (a
   * restart): the token endpoint then answers invalid_client and the authorization endpoint
   * shows an error page instead of redirecting.
   */
  forgetRegisteredClients(): Promise<void>;
  /** The next `count` token requests get 503 temporarily_unavailable with Retry-After (an outage). */
  failTokenRequests(count: number, retryAfterSeconds?: number): void;
  close(): Promise<void>;
}

/** The one account the interaction logs in. */
export const TEST_ACCOUNT_ID = 'test-user';

const DEFAULT_SCOPES = ['openid', 'offline_access', 'mcp:read', 'mcp:write'];
const ALL_METADATA_FORMS: MetadataForm[] = ['oauth-insert', 'oidc-insert', 'oidc-append'];
const GRANTS_NEEDING_RESOURCE = new Set(['authorization_code', 'refresh_token', 'client_credentials', 'urn:ietf:params:oauth:grant-type:jwt-bearer']);

export async function startAuthServer(options: AuthServerOptions): Promise<AuthServer> {
  const issuerPath = normalizeIssuerPath(options.issuerPath ?? '');
  const server = http.createServer();
  const origin = await listenOnLoopback(server);
  const issuer = origin + issuerPath;
  const provider = new Provider(issuer, await buildConfiguration(options, issuerPath));
  if (options.jwtBearer) registerJwtBearer(provider, issuer, options.jwtBearer);
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
    forgetRegisteredClients: async () => {
      for (const clientId of front.registeredClientIds.splice(0)) await provider.Client.adapter.destroy(clientId);
    },
    failTokenRequests: (count, retryAfterSeconds = 1) => {
      front.outage = { remaining: count, retryAfterSeconds };
    },
    close: () => closeServer(server),
  };
}

class FrontServer {
  /** Unset while starting: the provider's own discovery document is then fetched through to it. */
  metadata: Record<string, unknown> | undefined;
  recording = false;
  readonly requests: RecordedRequest[] = [];
  /** Every client registered dynamically, so that they can be forgotten. */
  readonly registeredClientIds: string[] = [];
  outage: { remaining: number; retryAfterSeconds: number } | undefined;
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
    if (req.method === 'POST' && url.pathname === `${this.issuerPath}/reg`) {
      if (this.refusesClientName(record)) return void res.writeHead(403, { 'content-type': 'text/plain' }).end('Forbidden');
      this.answerRegistration(req, res);
    }
    if (req.method === 'POST' && url.pathname === `${this.issuerPath}/token`) {
      if (this.outage && this.outage.remaining > 0) {
        this.outage.remaining -= 1;
        return sendJson(res, 503, { error: 'temporarily_unavailable' }, { 'retry-after': String(this.outage.retryAfterSeconds) });
      }
      this.answerTokenRequest(res);
    }
    if (url.pathname === this.issuerPath || url.pathname.startsWith(`${this.issuerPath}/`)) {
      this.applyDefaultScope(req, url);
      return this.forwardToProvider(req, res);
    }
    sendJson(res, 404, { error: 'not_found' });
  }

  private get quirks(): AuthServerQuirks {
    return this.options.quirks ?? {};
  }

  private refusesClientName(record: RecordedRequest): boolean {
    const allowed = this.quirks.allowedClientNames;
    const name = (record.json as { client_name?: unknown } | undefined)?.client_name;
    return allowed !== undefined && !(typeof name === 'string' && allowed.includes(name));
  }

  /** Records the registered client; Figma: registers it with a secret, and says "none". */
  private answerRegistration(req: IncomingMessage, res: ServerResponse): void {
    const withSecret = this.quirks.secretWithAuthMethodNone === true;
    if (withSecret) {
      const body = req as IncomingMessage & { body?: Buffer };
      const metadata = JSON.parse(body.body?.toString() ?? '{}') as Record<string, unknown>;
      body.body = Buffer.from(JSON.stringify({ ...metadata, token_endpoint_auth_method: 'client_secret_basic' }));
    }
    const successStatus = this.quirks.registrationSuccessStatus;
    rewriteJsonAnswer(res, (status, answer) => {
      if (typeof answer.client_id === 'string') this.registeredClientIds.push(answer.client_id);
      if (status !== 201 || (!withSecret && successStatus === undefined)) return undefined;
      return { status: successStatus ?? status, body: withSecret ? { ...answer, token_endpoint_auth_method: 'none' } : answer };
    });
  }

  /** Supabase's and GitHub's token answers: success and error statuses, and how the scope is written. */
  private answerTokenRequest(res: ServerResponse): void {
    const { tokenSuccessStatus, tokenErrorStatus, grantedScope } = this.quirks;
    if (tokenSuccessStatus === undefined && tokenErrorStatus === undefined && grantedScope === undefined) return;
    rewriteJsonAnswer(res, (status, answer) => {
      if (typeof answer.error === 'string') return tokenErrorStatus === undefined ? undefined : { status: tokenErrorStatus, body: answer };
      const scope = typeof answer.scope === 'string' ? answer.scope : '';
      const written = grantedScope === 'comma-separated' ? scope.split(' ').join(',') : grantedScope === 'empty' ? '' : answer.scope;
      return { status: tokenSuccessStatus ?? status, body: { ...answer, ...(written === undefined ? {} : { scope: written }) } };
    });
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
    if (forms.some((form) => enabled.includes(form))) return sendJson(res, 200, metadata);
    if (this.quirks.singlePageApp) return void res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(SINGLE_PAGE_APP_SHELL);
    sendJson(res, 404, { error: 'not_found' });
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
    ttl: { AccessToken: ttl, ClientCredentials: ttl, AuthorizationCode: 60, IdToken: 3600, DeviceCode: 600, Interaction: 600, Session: 86400, Grant: 86400, RefreshToken: 86400 },
    features: {
      devInteractions: { enabled: false },
      registration: { enabled: true },
      revocation: { enabled: true },
      deviceFlow: { enabled: options.deviceFlow ?? false },
      clientCredentials: { enabled: options.clientCredentials ?? false },
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
    expiresWithSession: () => false,
    rotateRefreshToken: () => rotate,
    ...(options.quirks?.stockRefreshTokenPolicy ? {} : { issueRefreshToken: (_ctx: unknown, client: { grantTypeAllowed(type: string): boolean }) => client.grantTypeAllowed('refresh_token') }),
    ...(options.quirks?.accessTokenBytes ? { extraTokenClaims: () => ({ padding: 'x'.repeat(paddingFor(options.quirks!.accessTokenBytes!)) }) } : {}),
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
export const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

/** The JWT-bearer grant, checked the way RFC 7523 §3 says, then answered by oidc-provider's own client credentials code. */
function registerJwtBearer(provider: Provider, issuer: string, trust: NonNullable<AuthServerOptions['jwtBearer']>): void {
  const keys = jose.createLocalJWKSet({ keys: trust.keys });
  const usedJtis = new Set<string>();
  const helpers = Object.fromEntries(Object.entries(grantHelpers).map(([name, helper]) => [name, (helper as (...args: unknown[]) => unknown).bind(undefined, provider)]));
  provider.registerGrantType(
    JWT_BEARER_GRANT,
    async (ctx: { oidc: { params: { assertion?: string } } }) => {
      const assertion = ctx.oidc.params.assertion;
      if (!assertion) throw new errors.InvalidRequest('missing assertion');
      let claims: jose.JWTPayload;
      try {
        ({ payload: claims } = await jose.jwtVerify(assertion, keys, { issuer: trust.trustedIssuer, audience: [issuer, `${issuer}/token`], requiredClaims: ['exp', 'sub'] }));
      } catch (error) {
        throw new errors.InvalidGrant(`assertion rejected: ${(error as Error).message}`);
      }
      if (claims.jti !== undefined) {
        if (usedJtis.has(claims.jti)) throw new errors.InvalidGrant('assertion already used (jti)');
        usedJtis.add(claims.jti);
      }
      await clientCredentialsHandler(provider, helpers, ctx);
    },
    ['assertion', 'scope', 'resource'],
    ['resource'],
  );
}

function toClientMetadata(client: PreRegisteredClient, deviceFlow: boolean): Record<string, unknown> {
  const grantTypes = client.grant_types ?? ['authorization_code', 'refresh_token', ...(deviceFlow ? [DEVICE_CODE_GRANT] : [])];
  return {
    ...client,
    application_type: client.application_type ?? 'web',
    grant_types: grantTypes,
    response_types: grantTypes.includes('authorization_code') ? ['code'] : [],
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
  if (options.advertised?.grantTypes) metadata.grant_types_supported = options.advertised.grantTypes;
  if (options.advertised?.authMethods) metadata.token_endpoint_auth_methods_supported = options.advertised.authMethods;
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

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}

/** The claim length that makes a JWT about `bytes` long: base64url grows it by 4/3; the rest of the token is ~700 bytes. */
function paddingFor(bytes: number): number {
  return Math.max(0, Math.floor(((bytes - 700) * 3) / 4));
}

/** What a single-page app answers for every path it does not know, /.well-known/* included. */
const SINGLE_PAGE_APP_SHELL = '<!doctype html><html><head><title>Sign in</title></head><body><div id="root"></div><script src="/app.js"></script></body></html>';

/**
 * Lets `change` rewrite the JSON answer oidc-provider is about to send (its status and body).
 * The provider (koa) sends a JSON body with one `end` call and the headers not yet written.
 */
function rewriteJsonAnswer(
  res: ServerResponse,
  change: (status: number, body: Record<string, unknown>) => { status: number; body: Record<string, unknown> } | undefined,
): void {
  const end = res.end.bind(res) as (chunk?: unknown) => ServerResponse;
  res.end = ((chunk?: unknown) => {
    const text = typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString() : undefined;
    const body = text === undefined ? undefined : parseJsonOrText(text);
    const changed = typeof body === 'object' && body !== null && !res.headersSent ? change(res.statusCode, body as Record<string, unknown>) : undefined;
    if (!changed) return end(chunk);
    const out = JSON.stringify(changed.body);
    res.statusCode = changed.status;
    res.setHeader('content-length', Buffer.byteLength(out));
    return end(out);
  }) as ServerResponse['end'];
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
