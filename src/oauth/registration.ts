// Client identity, in the spec's priority order: a pre-registered client, a
// Client ID Metadata Document, or dynamic registration (RFC 7591).
import {
  ClientSecretPost,
  dynamicClientRegistrationRequest,
  None,
  processDynamicClientRegistrationResponse,
  type AuthorizationServer,
  type Client,
  type ClientAuth,
} from 'oauth4webapi';
import { CodexAuthError } from '../errors.ts';
import { isJsonContentType, requireJsonResponse } from './content-type.ts';
import { describeServerError, isRecord, toCodexAuthError } from './failures.ts';
import { oauthOptions, redactUrl, type HttpClient } from './http.ts';
import { privateKeyJwt, type SigningAlg } from './client-assertion.ts';

export interface ClientRecord {
  /** The authorization server this client belongs to; never used at another. */
  issuer: string;
  clientId: string;
  clientSecret?: string;
  /** private_key_jwt: the PEM file read for every token request, and the algorithm it signs with. */
  privateKey?: { path: string; alg: SigningAlg };
  tokenEndpointAuthMethod: 'none' | 'client_secret_basic' | 'client_secret_post' | string;
  redirectUris: string[];
  /** Space-separated scopes the client was registered with, when the server recorded any. */
  scope?: string;
  source: 'pre-registered' | 'metadata-document' | 'dynamic';
  createdAt: number;
}

/** Per-issuer registrations (on disk: src/store/state.ts). */
export interface ClientStore {
  find(issuer: string): ClientRecord | undefined;
  save(record: ClientRecord): void;
  /** Drops the issuer's registration if it is still this one (the server no longer knows it). */
  forget(record: ClientRecord): void;
}

/** Registrations kept in memory only, for callers with no state on disk (the conformance client). */
export class MemoryClientStore implements ClientStore {
  readonly records = new Map<string, ClientRecord>();
  find(issuer: string): ClientRecord | undefined {
    return this.records.get(issuer);
  }
  save(record: ClientRecord): void {
    this.records.set(record.issuer, record);
  }
  forget(record: ClientRecord): void {
    if (this.records.get(record.issuer)?.clientId === record.clientId) this.records.delete(record.issuer);
  }
}

export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

export interface RegistrationInput {
  /** The exact loopback redirect URI; absent for a device-flow-only client. */
  redirectUri?: string;
  scopes?: string[];
  clientName: string;
  /** Register for the device authorization grant (RFC 8628) instead of the authorization code grant. */
  deviceFlow?: boolean;
}

/** Dynamic client registration as a native public client; honours what the server returns. */
export async function registerClient(
  as: AuthorizationServer,
  input: RegistrationInput,
  http: HttpClient,
  now: () => number,
): Promise<ClientRecord> {
  const endpoint = as.registration_endpoint;
  if (endpoint === undefined) {
    throw new CodexAuthError({
      kind: 'registration',
      step: 'registration',
      message: `The authorization server ${as.issuer} offers no way to register a client (no registration_endpoint, no Client ID Metadata Document support).`,
      hint: 'Register an OAuth client with the server operator and configure its client id (and secret, if any).',
    });
  }
  const metadata = registrationMetadata(as, input);
  const action = `Client registration at ${redactUrl(endpoint)}`;
  let registered: Awaited<ReturnType<typeof processDynamicClientRegistrationResponse>>;
  try {
    const response = await dynamicClientRegistrationRequest(as, metadata, oauthOptions(http, 'registration', endpoint));
    if (response.status === 400 || response.status === 403) throw await refusedRegistration(response, action, input.clientName);
    requireJsonResponse(response, 'registration', action);
    registered = await processDynamicClientRegistrationResponse(await screenRegistrationResponse(response, http));
  } catch (error) {
    throw toCodexAuthError(error, {
      step: 'registration',
      action,
      hint: 'The server refused to register codex-auth; register a client with the server operator and configure its client id.',
    });
  }
  const secret = typeof registered.client_secret === 'string' && registered.client_secret !== '' ? registered.client_secret : undefined;
  const authMethod = registeredAuthMethod(as, registered.token_endpoint_auth_method, secret);
  if (secret && registered.token_endpoint_auth_method === 'none') http.debug?.(`the registration answer says token_endpoint_auth_method "none" but carries a client_secret; sending it with ${authMethod}`);
  const record: ClientRecord = {
    issuer: as.issuer,
    clientId: registered.client_id,
    tokenEndpointAuthMethod: authMethod,
    redirectUris: isStringArray(registered.redirect_uris) ? registered.redirect_uris : (metadata.redirect_uris ?? []),
    source: 'dynamic',
    createdAt: now(),
  };
  if (secret) record.clientSecret = secret;
  const scope = typeof registered.scope === 'string' ? registered.scope : metadata.scope;
  if (scope) record.scope = scope;
  return record;
}

/**
 * Screens a registration answer before oauth4webapi, which takes only 201 Created (RFC 7591
 * §3.2.1) and a secret only with client_secret_expires_at. The body decides, as for token answers:
 * any 2xx holding a client_id and no error is a registration (Gluu oxAuth answers 200 OK by
 * default), handed on as the 201 oauth4webapi insists on. A secret without
 * client_secret_expires_at (many servers omit it) reads as 0, "never expires", so it is used as
 * issued.
 */
async function screenRegistrationResponse(response: Response, http: HttpClient): Promise<Response> {
  if (response.status < 200 || response.status >= 300) return response;
  const body: unknown = await response.clone().json().catch(() => undefined);
  if (!isRecord(body) || typeof body.client_id !== 'string' || body.client_id === '' || body.error !== undefined) return response;
  const addExpiry = typeof body.client_secret === 'string' && body.client_secret !== '' && body.client_secret_expires_at === undefined;
  if (response.status === 201 && !addExpiry) return response;
  if (response.status !== 201) http.debug?.(`took HTTP ${response.status} with a client_id from ${redactUrl(response.url)} as a registration`);
  const screened = addExpiry ? { ...body, client_secret_expires_at: 0 } : body;
  return new Response(JSON.stringify(screened), { status: 201, headers: response.headers });
}

interface RegistrationMetadata extends Partial<Client> {
  client_name: string;
  redirect_uris?: string[];
  grant_types: string[];
  response_types: string[];
  token_endpoint_auth_method: string;
  application_type: 'native';
  scope?: string;
}

function registrationMetadata(as: AuthorizationServer, input: RegistrationInput): RegistrationMetadata {
  const refresh = offersRefresh(as) ? ['refresh_token'] : [];
  const grant = input.deviceFlow
    ? { grant_types: [DEVICE_CODE_GRANT, ...refresh], response_types: [] }
    : { grant_types: ['authorization_code', ...refresh], response_types: ['code'], redirect_uris: input.redirectUri === undefined ? [] : [input.redirectUri] };
  const metadata: RegistrationMetadata = {
    client_name: input.clientName,
    ...grant,
    token_endpoint_auth_method: preferredAuthMethod(as),
    application_type: 'native',
  };
  if (input.scopes && input.scopes.length > 0) metadata.scope = input.scopes.join(' ');
  return metadata;
}

/**
 * The refresh_token grant is asked for unless the server's grant_types_supported leaves it out
 * (RFC 8414 §2): a server that issues no refresh tokens may refuse a registration asking for them
 * (oidc-provider does, when it has no offline_access scope).
 */
function offersRefresh(as: AuthorizationServer): boolean {
  return as.grant_types_supported === undefined || as.grant_types_supported.includes('refresh_token');
}

/** A public client ("none") unless the server says it cannot take one. */
function preferredAuthMethod(as: AuthorizationServer): string {
  const supported = as.token_endpoint_auth_methods_supported;
  if (supported === undefined || supported.includes('none')) return 'none';
  return ['client_secret_basic', 'client_secret_post'].find((method) => supported.includes(method)) ?? 'none';
}

/**
 * The method the server registered. One that issues a secret without naming a method means
 * client_secret_basic (RFC 7591 §2); one that issues a secret while naming "none" (Figma) still
 * wants it at its token endpoint: a secret is sent whenever one was issued, the way the server takes secrets.
 */
function registeredAuthMethod(as: AuthorizationServer, returned: unknown, secret: string | undefined): string {
  if (secret && (returned === undefined || returned === '' || returned === 'none')) return secretAuthMethod(as);
  return typeof returned === 'string' && returned !== '' ? returned : 'none';
}

/**
 * A 400 or 403 from the registration endpoint. A 403, or a 400 that names no RFC 7591 metadata
 * error, refuses the client itself: Figma registers only client names it knows (403 "Forbidden"
 * in plain text), Vercel and ClickUp review the clients they accept. A 400 naming a metadata
 * error (invalid_client_metadata, invalid_redirect_uri) faults the registration's details, such
 * as a missing scope (Fastmail), unless its description is about the client name.
 */
async function refusedRegistration(response: Response, action: string, clientName: string): Promise<CodexAuthError> {
  const text = await response.text().catch(() => '');
  const body: unknown = isJsonContentType(response.headers.get('content-type')) ? parseJson(text) : undefined;
  const error = isRecord(body) && typeof body.error === 'string' ? body.error : undefined;
  const description = isRecord(body) && typeof body.error_description === 'string' ? body.error_description : undefined;
  const serverSaid = error ? describeServerError(error, description) : plainTextOf(response, text);
  const aboutDetails = response.status === 400 && error !== undefined && METADATA_ERRORS.has(error) && !/client[ _]?name/i.test(description ?? '');
  const sentAs = `the registration was sent as client_name "${clientName}"`;
  return new CodexAuthError({
    kind: 'registration',
    step: 'registration',
    message: aboutDetails
      ? `${action} was refused (HTTP ${response.status}): the server rejected the registration details (${sentAs}).`
      : `${action} was refused (HTTP ${response.status}): this server only accepts registrations from approved clients, and ${sentAs}.`,
    ...(serverSaid ? { serverSaid } : {}),
    hint: aboutDetails
      ? `If the server needs particular scopes, pass them (--scopes). If it accepts only known clients, ${CLIENT_OPTIONS}.`
      : `${CLIENT_OPTIONS.charAt(0).toUpperCase()}${CLIENT_OPTIONS.slice(1)}.`,
  });
}

/** RFC 7591 §3.2.2 errors about the metadata sent, not about who sent it. */
const METADATA_ERRORS = new Set(['invalid_client_metadata', 'invalid_redirect_uri', 'invalid_request']);

const CLIENT_OPTIONS =
  'register under a client name the server accepts (--client-name "<name>"), use a client the operator registered for you (--client-id, with --client-secret-env for its secret), or a Client ID Metadata Document if the server supports them (--client-metadata-url)';

/** A short plain-text answer, worth showing as what the server said; nothing for HTML or long bodies. */
function plainTextOf(response: Response, text: string): string | undefined {
  const type = response.headers.get('content-type') ?? '';
  const line = text.trim().split('\n')[0]?.trim() ?? '';
  return /^text\/plain\b/i.test(type) && line !== '' && line.length <= 200 ? line : undefined;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The user's own client. Without a configured method, a secret goes the way the server prefers. */
export function preRegisteredClient(
  as: AuthorizationServer,
  input: { clientId: string; clientSecret?: string; tokenEndpointAuthMethod?: string; privateKey?: { path: string; alg: SigningAlg } },
  redirectUri: string | undefined,
  now: () => number,
): ClientRecord {
  const record: ClientRecord = {
    issuer: as.issuer,
    clientId: input.clientId,
    tokenEndpointAuthMethod: input.tokenEndpointAuthMethod ?? (input.clientSecret ? secretAuthMethod(as) : 'none'),
    redirectUris: redirectUri === undefined ? [] : [redirectUri],
    source: 'pre-registered',
    createdAt: now(),
  };
  if (input.clientSecret) record.clientSecret = input.clientSecret;
  if (input.privateKey) record.privateKey = input.privateKey;
  return record;
}

/** RFC 8414 §2: an absent list means client_secret_basic. */
function secretAuthMethod(as: AuthorizationServer): string {
  const supported = as.token_endpoint_auth_methods_supported;
  if (supported === undefined || supported.includes('client_secret_basic')) return 'client_secret_basic';
  return supported.includes('client_secret_post') ? 'client_secret_post' : 'client_secret_basic';
}

/** The client id is the HTTPS URL of a document the client hosts; a public client. */
export function metadataDocumentClient(as: AuthorizationServer, documentUrl: string, redirectUri: string | undefined, now: () => number): ClientRecord {
  return {
    issuer: as.issuer,
    clientId: documentUrl,
    tokenEndpointAuthMethod: 'none',
    redirectUris: redirectUri === undefined ? [] : [redirectUri],
    source: 'metadata-document',
    createdAt: now(),
  };
}

/** The oauth4webapi view of a client record. */
export function oauthClient(client: ClientRecord): Client {
  return { client_id: client.clientId, token_endpoint_auth_method: client.tokenEndpointAuthMethod };
}

export function clientAuthentication(client: ClientRecord): ClientAuth {
  switch (client.tokenEndpointAuthMethod) {
    case 'none':
      return None();
    case 'client_secret_basic':
      return clientSecretBasic(requireSecret(client));
    case 'client_secret_post':
      return ClientSecretPost(requireSecret(client));
    case 'private_key_jwt':
      if (client.privateKey) return privateKeyJwt(client.privateKey.path, client.privateKey.alg);
      throw new CodexAuthError({
        kind: 'registration',
        step: 'registration',
        message: `The client ${client.clientId} authenticates with private_key_jwt but no private key is configured.`,
        hint: 'Log in again with --private-key <PEM file>.',
      });
    default:
      throw new CodexAuthError({
        kind: 'registration',
        step: 'registration',
        message: `The client ${client.clientId} authenticates with "${client.tokenEndpointAuthMethod}", which codex-auth does not support (none, client_secret_basic, client_secret_post, private_key_jwt).`,
        hint: 'Use a client registered for one of the supported methods.',
      });
  }
}

/**
 * RFC 6749 §2.3.1: id and secret are each application/x-www-form-urlencoded, then
 * joined for HTTP Basic. That encoding (WHATWG URL, "urlencoded serializer") keeps
 * ALPHA, DIGIT and "*-._" as they are and turns a space into "+"; oauth4webapi also
 * escapes "-", "." and "_", which servers that do not decode (the MCP conformance
 * suite's) read as a different client id.
 */
function clientSecretBasic(secret: string): ClientAuth {
  return (_as, client, _body, headers) => {
    const credentials = `${formUrlEncode(client.client_id)}:${formUrlEncode(secret)}`;
    headers.set('authorization', `Basic ${Buffer.from(credentials, 'utf8').toString('base64')}`);
  };
}

/** The urlencoded serializer applied to one value ("=value" without its "="). */
function formUrlEncode(value: string): string {
  return new URLSearchParams([['', value]]).toString().slice(1);
}

function requireSecret(client: ClientRecord): string {
  if (client.clientSecret) return client.clientSecret;
  throw new CodexAuthError({
    kind: 'registration',
    step: 'registration',
    message: `The client ${client.clientId} authenticates with ${client.tokenEndpointAuthMethod} but no client secret is configured.`,
    hint: 'Configure the client secret that belongs to this client id.',
  });
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}
