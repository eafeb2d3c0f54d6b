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
import { requireJsonResponse } from './content-type.ts';
import { isRecord, toCodexAuthError } from './failures.ts';
import { oauthOptions, redactUrl, type HttpClient } from './http.ts';

export interface ClientRecord {
  /** The authorization server this client belongs to; never used at another. */
  issuer: string;
  clientId: string;
  clientSecret?: string;
  tokenEndpointAuthMethod: 'none' | 'client_secret_basic' | 'client_secret_post' | string;
  redirectUris: string[];
  /** Space-separated scopes the client was registered with, when the server recorded any. */
  scope?: string;
  source: 'pre-registered' | 'metadata-document' | 'dynamic';
  createdAt: number;
}

/** Per-issuer registrations; the lead implements it on disk. */
export interface ClientStore {
  find(issuer: string): ClientRecord | undefined;
  save(record: ClientRecord): void;
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
    requireJsonResponse(response, 'registration', action);
    registered = await processDynamicClientRegistrationResponse(await withSecretExpiryDefault(response));
  } catch (error) {
    throw toCodexAuthError(error, {
      step: 'registration',
      action,
      hint: 'The server refused to register codex-auth; register a client with the server operator and configure its client id.',
      hintFor: (code) =>
        code === 'invalid_client_metadata' || code === 'invalid_request'
          ? 'The server rejected the registration details; if it needs particular scopes, pass them explicitly.'
          : undefined,
    });
  }
  const secret = typeof registered.client_secret === 'string' && registered.client_secret !== '' ? registered.client_secret : undefined;
  const record: ClientRecord = {
    issuer: as.issuer,
    clientId: registered.client_id,
    tokenEndpointAuthMethod: registeredAuthMethod(registered.token_endpoint_auth_method, secret),
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
 * RFC 7591 §3.2.1 requires client_secret_expires_at whenever a secret is issued,
 * but many servers omit it and oauth4webapi then rejects the whole answer. Read an
 * absent value as 0, "never expires", so the secret is used as issued.
 */
async function withSecretExpiryDefault(response: Response): Promise<Response> {
  if (response.status !== 201) return response;
  const body: unknown = await response.clone().json().catch(() => undefined);
  if (!isRecord(body) || typeof body.client_secret !== 'string' || body.client_secret === '' || body.client_secret_expires_at !== undefined) {
    return response;
  }
  const patched = JSON.stringify({ ...body, client_secret_expires_at: 0 });
  return new Response(patched, { status: response.status, statusText: response.statusText, headers: response.headers });
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
  const grant = input.deviceFlow
    ? { grant_types: [DEVICE_CODE_GRANT, 'refresh_token'], response_types: [] }
    : { grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], redirect_uris: input.redirectUri === undefined ? [] : [input.redirectUri] };
  const metadata: RegistrationMetadata = {
    client_name: input.clientName,
    ...grant,
    token_endpoint_auth_method: preferredAuthMethod(as),
    application_type: 'native',
  };
  if (input.scopes && input.scopes.length > 0) metadata.scope = input.scopes.join(' ');
  return metadata;
}

/** A public client ("none") unless the server says it cannot take one. */
function preferredAuthMethod(as: AuthorizationServer): string {
  const supported = as.token_endpoint_auth_methods_supported;
  if (supported === undefined || supported.includes('none')) return 'none';
  return ['client_secret_basic', 'client_secret_post'].find((method) => supported.includes(method)) ?? 'none';
}

/** RFC 7591 §2: a server that issues a secret without naming a method means client_secret_basic. */
function registeredAuthMethod(returned: unknown, secret: string | undefined): string {
  if (typeof returned === 'string' && returned !== '') return returned;
  return secret ? 'client_secret_basic' : 'none';
}

/** The user's own client. Without a configured method, a secret goes the way the server prefers. */
export function preRegisteredClient(
  as: AuthorizationServer,
  input: { clientId: string; clientSecret?: string; tokenEndpointAuthMethod?: string },
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
    default:
      throw new CodexAuthError({
        kind: 'registration',
        step: 'registration',
        message: `The client ${client.clientId} authenticates with "${client.tokenEndpointAuthMethod}", which codex-auth does not support (none, client_secret_basic, client_secret_post).`,
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
