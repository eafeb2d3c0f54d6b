// The MCP authorization sequence end to end: probe, resource metadata,
// authorization-server metadata, client identity, authorization (browser or
// device), token exchange. `login`, the session proxy's step-up and the
// conformance client all come through here; nothing here knows about Codex.
import type { AuthorizationServer } from 'oauth4webapi';
import { CodexAuthError, type Step } from '../errors.ts';
import { buildAuthorizationRequest } from './authorize.ts';
import { assertCredentialBoundTo, type ClientCredential, type CredentialBindings } from './client-binding.ts';
import { isPortTaken, listenForCallback, validateCallback, type CallbackListener } from './callback.ts';
import { probe, type ProbeResult } from './challenge.ts';
import { deviceAuthorizationEndpoint, deviceLogin, type DeviceCodeInfo } from './device.ts';
import { discoverAuthorizationServer, discoverProtectedResource } from './discovery.ts';
import { prepareUnattended, requestUnattendedToken, stepOf, type PreRegisteredClient, type UnattendedMethod } from './unattended.ts';
import { assertAllowedUrl, assertNotLocalTarget, kindForStep, parseUrl, redactUrl, type HttpClient } from './http.ts';
import {
  metadataDocumentClient,
  preRegisteredClient,
  registerClient,
  type ClientRecord,
  type ClientStore,
} from './registration.ts';
import { selectResource } from './resource.ts';
import { parseScopeList, selectScopes, unionScopes } from './scopes.ts';
import { exchangeCode, isClientRejected, refreshTokens, revokeTokens, type TokenSet } from './tokens.ts';

export interface LoginRequest {
  serverName: string;
  mcpUrl: string;
  /** Explicit (user) scopes. */
  scopes?: string[];
  /**
   * The 401/403 challenge of a request the caller already sent (see
   * `authorizationChallenge`); login then does not probe. Servers may leave
   * initialize open and only challenge tools/list or tools/call.
   */
  challenge?: ProbeResult;
  /** Explicit resource override (oauth_resource / --resource). */
  resource?: string;
  preRegistered?: PreRegisteredClient;
  /**
   * A login with no person (client credentials, JWT bearer), with the pre-registered client (its
   * secret, or its private key for private_key_jwt). Absent: the browser or device flow.
   */
  unattended?: UnattendedMethod;
  /**
   * Where a pre-registered client's secret is bound to its issuer: required with a secret, which
   * is then sent only to the issuer it was first accepted by.
   */
  credentialBindings?: CredentialBindings;
  /** Client ID Metadata Document URL, used when the AS advertises client_id_metadata_document_supported. */
  clientMetadataUrl?: string;
  /** Fixed port; otherwise the stored registration's port if free, else any free port (then re-register). */
  callbackPort?: number;
  /** Per-issuer registrations; one issuer's client is never used at another. */
  clients: ClientStore;
  /** 403 insufficient_scope: request the union of what was granted and what is challenged. */
  stepUp?: { grantedScopes?: string[]; challengedScopes?: string[] };
  useDeviceFlow?: boolean;
  /** client_name sent in dynamic registration; default "codex-auth". */
  clientName?: string;
  /**
   * Register afresh instead of reusing the stored registration: a server may have forgotten it
   * (AWS sign-in, in-memory servers), and its authorization page then shows an error and never
   * comes back.
   */
  reRegister?: boolean;
}

export interface LoginDeps {
  http: HttpClient;
  now: () => number;
  progress: (step: Step, detail: string) => void;
  /** Shows the URL to the person and resolves with the callback URL (from the listener or pasted). */
  authorizeInteractively: (request: { url: URL; listener: CallbackListener }) => Promise<URL>;
  showDeviceCode?: (info: DeviceCodeInfo) => void;
}

const SNAPSHOT_FIELDS = [
  'issuer',
  'authorization_endpoint',
  'token_endpoint',
  'revocation_endpoint',
  'registration_endpoint',
  'device_authorization_endpoint',
  'scopes_supported',
  'token_endpoint_auth_methods_supported',
  'code_challenge_methods_supported',
  'authorization_response_iss_parameter_supported',
  'client_id_metadata_document_supported',
  'id_token_signing_alg_values_supported',
  'grant_types_supported',
  'token_endpoint_auth_signing_alg_values_supported',
] as const;

/** The authorization-server metadata needed later (refresh, revoke) without rediscovery; JSON-serialisable. */
export type AuthorizationServerSnapshot = Pick<AuthorizationServer, 'issuer'> & Partial<Pick<AuthorizationServer, (typeof SNAPSHOT_FIELDS)[number]>>;

export interface Grant {
  serverName: string;
  mcpUrl: string;
  resource: string;
  issuer: string;
  authorizationServer: AuthorizationServerSnapshot;
  client: ClientRecord;
  scopesRequested?: string[];
  tokens: TokenSet;
  obtainedAt: number;
  /**
   * How a login with no person was made, and so how its token is renewed: asked for again the
   * same way. Absent: a browser or device login, renewed with its refresh token.
   */
  unattended?: UnattendedMethod;
}

export type LoginOutcome = { kind: 'no-authorization-needed' } | { kind: 'logged-in'; grant: Grant };

/**
 * Step-up logins (403 insufficient_scope) a caller runs per server and session
 * before giving up: a server that keeps asking for more is not chased forever
 * (MCP "Scope Challenge Handling": clients SHOULD bound retries).
 */
export const MAX_STEP_UPS = 2;

export const DEFAULT_CLIENT_NAME = 'codex-auth';
const CALLBACK_PATH = '/callback';

/**
 * An open first request does not make an open server: one that publishes resource metadata at
 * its well-known location (RFC 9728 §3) is protected and challenges later requests (Google's
 * hosted servers answer initialize and tools/list, and challenge tools/call).
 */
function isOpenServer(challenge: ProbeResult, protectedResource: unknown): boolean {
  return !challenge.needsAuthorization && !protectedResource;
}

/** Whether the server asks for authorization, found the way login finds it, without logging in. */
export async function needsAuthorization(mcpUrl: string, http: HttpClient): Promise<boolean> {
  const url = parseMcpUrl(mcpUrl);
  const challenge = await probe(url, http);
  return !isOpenServer(challenge, await discoverProtectedResource(url, challenge, http));
}

export async function login(request: LoginRequest, deps: LoginDeps): Promise<LoginOutcome> {
  const tracker = stepTracker(deps.progress);
  try {
    return await runLogin(request, deps, tracker.report);
  } catch (error) {
    throw withContext(error, tracker.current(), request.serverName);
  }
}

async function runLogin(request: LoginRequest, deps: LoginDeps, report: (step: Step, detail: string) => void): Promise<LoginOutcome> {
  const { http } = deps;
  const mcpUrl = parseMcpUrl(request.mcpUrl);

  report('probe', request.challenge ? `${redactUrl(mcpUrl)} (challenged with HTTP ${request.challenge.status})` : redactUrl(mcpUrl));
  const challenge = request.challenge ?? (await probe(mcpUrl, http));

  report('resource-metadata', challenge.resourceMetadataUrl ?? `well-known locations of ${mcpUrl.origin}`);
  const protectedResource = await discoverProtectedResource(mcpUrl, challenge, http);
  if (isOpenServer(challenge, protectedResource)) return { kind: 'no-authorization-needed' };
  // RFC 9728 §7.6 leaves the choice to the client: take the first listed.
  // Without metadata (2025-03-26 servers) the MCP origin is the issuer.
  const issuer = protectedResource?.authorizationServers[0] ?? mcpUrl.origin;
  const issuerUrl = parseUrl(issuer);
  if (issuerUrl) assertNotLocalTarget(issuerUrl, mcpUrl, 'authorization-server-metadata');

  report('authorization-server-metadata', issuer);
  const unattended = request.unattended !== undefined;
  const as = await discoverAuthorizationServer(issuer, http, unattended ? 'unattended' : 'person');
  const resource = selectResource({ override: request.resource, protectedResource, mcpUrl });
  const scopes = request.stepUp
    ? stepUpScopes(request.scopes, request.stepUp, as)
    : selectScopes({ explicit: request.scopes, challenge: challenge.scopes, protectedResource, authorizationServer: as, refreshTokens: !unattended });

  const credential = userCredential(request);
  if (credential) assertCredentialBoundTo(credential.bindings, credential, as.issuer, request.serverName);
  const session: LoginSession = { request, deps, as, resource, scopes, report };
  const { client, tokens, method } = unattended ? await loginUnattended(session) : request.useDeviceFlow ? await loginWithDevice(session) : await loginWithBrowser(session);
  if (credential && !credential.bindings.find(credential)) credential.bindings.bind(credential, as.issuer, request.serverName, deps.now());
  const grant: Grant = {
    serverName: request.serverName,
    mcpUrl: request.mcpUrl,
    resource,
    issuer: as.issuer,
    authorizationServer: snapshotOf(as),
    client,
    tokens,
    obtainedAt: deps.now(),
  };
  if (scopes) grant.scopesRequested = scopes;
  if (method) grant.unattended = method;
  return { kind: 'logged-in', grant };
}

/** The pre-registered client's secret, with where it is bound; undefined for a client without one. */
function userCredential(request: LoginRequest): (ClientCredential & { bindings: CredentialBindings }) | undefined {
  const { preRegistered, credentialBindings } = request;
  if (!preRegistered?.clientSecret) return undefined;
  if (!credentialBindings) throw new Error('a pre-registered client secret needs credentialBindings to be bound to its issuer');
  return { clientId: preRegistered.clientId, secret: preRegistered.clientSecret, bindings: credentialBindings };
}

/** The user's scopes, then what was granted and what is challenged (plus offline_access when offered). */
function stepUpScopes(explicit: string[] | undefined, stepUp: NonNullable<LoginRequest['stepUp']>, as: AuthorizationServer): string[] | undefined {
  const wanted = selectScopes({ challenge: unionScopes(stepUp.grantedScopes, stepUp.challengedScopes), authorizationServer: as });
  const scopes = unionScopes(explicit, wanted);
  return scopes.length > 0 ? scopes : undefined;
}

interface LoginSession {
  request: LoginRequest;
  deps: LoginDeps;
  as: AuthorizationServer;
  resource: string;
  scopes: string[] | undefined;
  report: (step: Step, detail: string) => void;
}

interface Authorized {
  client: ClientRecord;
  tokens: TokenSet;
  /** A login with no person: how it renews itself. */
  method?: UnattendedMethod;
}

async function loginWithBrowser(session: LoginSession): Promise<Authorized> {
  const { request, deps, as, resource, scopes, report } = session;
  const stored = storedClient(request.clients, as.issuer);
  // Not through `report`: a stray request is a note, not a step the login moved on to.
  const listener = await openListener(request.callbackPort, stored, (reason) => deps.progress('callback', reason));
  try {
    const client = await resolveClient(session, listener.redirectUri, stored);
    const authorization = await buildAuthorizationRequest({ as, client, redirectUri: listener.redirectUri, scopes, resource });
    listener.expect({ state: authorization.state, issuer: as.issuer });
    report('authorization', `${authorization.url.origin}${authorization.url.pathname}`);
    const callbackUrl = await deps.authorizeInteractively({ url: authorization.url, listener });
    report('callback', listener.redirectUri);
    const callbackParams = validateCallback(as, client, callbackUrl, authorization.state);
    report('token-exchange', as.token_endpoint ?? as.issuer);
    const tokens = await forgettingRejectedClient(
      request.clients,
      client,
      exchangeCode({ as, client, callbackParams, redirectUri: authorization.redirectUri, codeVerifier: authorization.codeVerifier, resource }, deps.http, deps.now),
    );
    return { client, tokens };
  } finally {
    await listener.close();
  }
}

/** No person: the pre-registered client asks for a token itself, once the server is seen to offer the grant. */
async function loginUnattended(session: LoginSession): Promise<Authorized & { method: UnattendedMethod }> {
  const { request, deps, as, resource, scopes, report } = session;
  if (!request.unattended || !request.preRegistered) {
    throw new CodexAuthError({ kind: 'usage', step: 'arguments', message: 'A login with no person needs the client registered for it.', hint: 'Give --client-id (and its secret or key).' });
  }
  const { method, client } = prepareUnattended(as, request.unattended, request.preRegistered, deps.now);
  report(stepOf(method.grant), method.idp?.tokenEndpoint ?? as.token_endpoint ?? as.issuer);
  const tokens = await requestUnattendedToken(method, { as, client, resource, ...(scopes ? { scopes } : {}) }, deps.http, deps.now);
  return { client, tokens, method };
}

async function loginWithDevice(session: LoginSession): Promise<Authorized> {
  const { deps, as, resource, scopes, report } = session;
  const showDeviceCode = deps.showDeviceCode;
  if (!showDeviceCode) {
    throw new CodexAuthError({ kind: 'usage', step: 'device-authorization', message: 'The device flow needs a way to show the code to the person.' });
  }
  const endpoint = deviceAuthorizationEndpoint(as);
  const client = await resolveClient(session, undefined, storedClient(session.request.clients, as.issuer));
  report('device-authorization', endpoint);
  const tokens = await forgettingRejectedClient(
    session.request.clients,
    client,
    deviceLogin({ as, client, resource, showDeviceCode, ...(scopes ? { scopes } : {}) }, { http: deps.http, now: deps.now }),
  );
  return { client, tokens };
}

/**
 * invalid_client from the token endpoint: the server no longer knows a client it registered
 * (AWS sign-in and in-memory servers drop them). Forget the registration, so that the next
 * login registers afresh instead of failing the same way.
 */
async function forgettingRejectedClient<T>(clients: ClientStore, client: ClientRecord, work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (client.source === 'dynamic' && isClientRejected(error)) clients.forget(client);
    throw error;
  }
}

/** Pre-registered > Client ID Metadata Document > stored registration that still fits > new registration. */
async function resolveClient(session: LoginSession, redirectUri: string | undefined, stored: ClientRecord | undefined): Promise<ClientRecord> {
  const { request, deps, as, scopes, report } = session;
  if (request.preRegistered) {
    // A private key serves only the grants with no person (the CLI allows it only there).
    const { privateKey: _unattendedOnly, ...client } = request.preRegistered;
    return preRegisteredClient(as, client, redirectUri, deps.now);
  }
  if (request.clientMetadataUrl && as.client_id_metadata_document_supported === true) {
    return metadataDocumentClient(as, request.clientMetadataUrl, redirectUri, deps.now);
  }
  if (stored && !request.reRegister && registrationFits(stored, redirectUri, scopes)) return stored;
  report('registration', as.registration_endpoint ?? as.issuer);
  const registered = await registerClient(
    as,
    { clientName: request.clientName ?? DEFAULT_CLIENT_NAME, ...(redirectUri ? { redirectUri } : { deviceFlow: true }), ...(scopes ? { scopes } : {}) },
    deps.http,
    deps.now,
  );
  request.clients.save(registered);
  return registered;
}

function storedClient(clients: ClientStore, issuer: string): ClientRecord | undefined {
  const record = clients.find(issuer);
  return record?.issuer === issuer ? record : undefined;
}

/** Re-register when the redirect URI changed or the registration's scope does not cover the request. */
function registrationFits(record: ClientRecord, redirectUri: string | undefined, scopes: string[] | undefined): boolean {
  if (redirectUri === undefined ? record.redirectUris.length > 0 : !record.redirectUris.includes(redirectUri)) return false;
  if (record.scope === undefined || scopes === undefined) return true;
  const registered = new Set(parseScopeList(record.scope));
  return scopes.every((scope) => registered.has(scope));
}

/** A fixed port must be free; otherwise reuse the stored registration's port when free, else any port. */
async function openListener(fixedPort: number | undefined, stored: ClientRecord | undefined, onIgnored: (reason: string) => void): Promise<CallbackListener> {
  if (fixedPort !== undefined) return listenForCallback({ port: fixedPort, path: CALLBACK_PATH, onIgnored });
  const storedPort = loopbackPortOf(stored?.redirectUris[0]);
  if (storedPort !== undefined) {
    try {
      return await listenForCallback({ port: storedPort, path: CALLBACK_PATH, onIgnored });
    } catch (error) {
      if (!isPortTaken(error)) throw error;
    }
  }
  return listenForCallback({ path: CALLBACK_PATH, onIgnored });
}

function loopbackPortOf(redirectUri: string | undefined): number | undefined {
  const url = redirectUri === undefined ? undefined : parseUrl(redirectUri);
  if (!url || url.hostname !== '127.0.0.1' || url.pathname !== CALLBACK_PATH || url.port === '') return undefined;
  return Number(url.port);
}

/**
 * Renews the grant's access token: with its refresh token, or for a login with no person by
 * asking again the same way (the key file, and the secret kept in the 0600 state, read afresh).
 */
export async function refreshGrant(grant: Grant, deps: { http: HttpClient; now: () => number }): Promise<Grant> {
  try {
    if (grant.unattended) {
      const scopes = grant.scopesRequested;
      const tokens = await requestUnattendedToken(grant.unattended, { as: grant.authorizationServer, client: grant.client, resource: grant.resource, ...(scopes ? { scopes } : {}) }, deps.http, deps.now);
      return { ...grant, tokens, obtainedAt: deps.now() };
    }
    if (!grant.tokens.refreshToken) {
      throw new CodexAuthError({
        kind: 'notLoggedIn',
        step: 'refresh',
        message: 'The access token cannot be renewed: the server issued no refresh token.',
        hint: 'Log in again.',
      });
    }
    const scopes = grant.tokens.scopes ?? grant.scopesRequested;
    const tokens = await refreshTokens(
      { as: grant.authorizationServer, client: grant.client, refreshToken: grant.tokens.refreshToken, resource: grant.resource, ...(scopes ? { scopes } : {}) },
      deps.http,
      deps.now,
    );
    return { ...grant, tokens, obtainedAt: deps.now() };
  } catch (error) {
    throw withContext(error, 'refresh', grant.serverName);
  }
}

/** Revokes at the server when it offers revocation; the caller deletes local state either way. */
export async function revokeGrant(grant: Grant, deps: { http: HttpClient }): Promise<void> {
  try {
    await revokeTokens({ as: grant.authorizationServer, client: grant.client, tokens: grant.tokens }, deps.http);
  } catch (error) {
    throw withContext(error, 'revocation', grant.serverName);
  }
}

export function snapshotOf(as: AuthorizationServer): AuthorizationServerSnapshot {
  const snapshot: Record<string, unknown> = {};
  for (const field of SNAPSHOT_FIELDS) {
    if (as[field] !== undefined) snapshot[field] = as[field];
  }
  return snapshot as AuthorizationServerSnapshot;
}

function parseMcpUrl(text: string): URL {
  const url = parseUrl(text);
  if (!url) {
    throw new CodexAuthError({ kind: 'config', step: 'config', message: `The server url "${text}" is not a URL.`, hint: 'Fix the url of this server entry.' });
  }
  assertAllowedUrl(url, 'probe');
  return url;
}

/** Remembers the last step reported, so an unexpected error can still name where it happened. */
function stepTracker(progress: (step: Step, detail: string) => void) {
  let current: Step = 'probe';
  return {
    current: () => current,
    report: (step: Step, detail: string) => {
      current = step;
      progress(step, detail);
    },
  };
}

/** Every error leaving the engine is a CodexAuthError carrying the server name. */
function withContext(error: unknown, step: Step, server: string): CodexAuthError {
  if (error instanceof CodexAuthError) return error.forServer(server);
  return new CodexAuthError({
    kind: kindForStep(step),
    step,
    server,
    message: `Unexpected failure during ${step}: ${error instanceof Error ? error.message : String(error)}.`,
    cause: error,
  });
}
