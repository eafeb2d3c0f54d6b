// The token endpoint: code exchange and refresh (resource on every request,
// RFC 8707), and revocation (RFC 7009).
import {
  authorizationCodeGrantRequest,
  INVALID_RESPONSE,
  OperationProcessingError,
  processAuthorizationCodeResponse,
  processRefreshTokenResponse,
  processRevocationResponse,
  refreshTokenGrantRequest,
  ResponseBodyError,
  revocationRequest,
  UnsupportedOperationError,
  type AuthorizationServer,
  type OAuth2Error,
  type TokenEndpointResponse,
} from 'oauth4webapi';
import { CodexAuthError, type Step } from '../errors.ts';
import { requireJsonResponse } from './content-type.ts';
import { findCodexAuthError, isRecord, oauthErrorCode, toCodexAuthError } from './failures.ts';
import { oauthOptions, redactUrl, type HttpClient } from './http.ts';
import { clientAuthentication, oauthClient, type ClientRecord } from './registration.ts';
import { parseScopeList } from './scopes.ts';
import { isSendableToken, isStorableToken } from './token-syntax.ts';

export interface TokenSet {
  accessToken: string;
  refreshToken?: string;
  tokenType: string;
  /** Absolute, ms since the epoch; undefined when neither expires_in nor a JWT exp says. */
  expiresAt?: number;
  /**
   * Granted scopes, read from the server's `scope` (space- or comma-separated, see
   * parseScopeList). Undefined when the server did not say, which RFC 6749 §5.1 reads as
   * "as requested"; empty when it said "" (GitHub Apps).
   */
  scopes?: string[];
}

/** Exchanges the code from a callback validated by `validateCallback` (oauth4webapi insists on that). */
export async function exchangeCode(
  input: {
    as: AuthorizationServer;
    client: ClientRecord;
    callbackParams: URLSearchParams;
    redirectUri: string;
    codeVerifier: string;
    resource: string;
  },
  http: HttpClient,
  now: () => number,
): Promise<TokenSet> {
  const step: Step = 'token-exchange';
  const { as, client } = input;
  const action = `Exchanging the authorization code at ${endpointName(as)}`;
  try {
    const response = await authorizationCodeGrantRequest(
      as,
      oauthClient(client),
      clientAuthentication(client),
      input.callbackParams,
      input.redirectUri,
      input.codeVerifier,
      { ...oauthOptions(http, step, as.token_endpoint), additionalParameters: { resource: input.resource } },
    );
    const screened = await screenTokenResponse(response, step, action, http);
    return toTokenSet(await processAuthorizationCodeResponse(as, oauthClient(client), screened), now, step);
  } catch (error) {
    throw tokenFailure(error, step, action, client);
  }
}

/**
 * Uses a refresh token. If the server rotates it, the new one is returned
 * (persist it at once); if it returns none, the old one is kept.
 * invalid_grant and invalid_client are final: see `lostLogin`.
 */
export async function refreshTokens(
  input: { as: AuthorizationServer; client: ClientRecord; refreshToken: string; resource: string; scopes?: string[] },
  http: HttpClient,
  now: () => number,
): Promise<TokenSet> {
  const step: Step = 'refresh';
  const { as, client } = input;
  const additionalParameters: Record<string, string> = { resource: input.resource };
  // Always space-separated on the wire, whatever separator the server used when it granted them.
  if (input.scopes && input.scopes.length > 0) additionalParameters.scope = input.scopes.join(' ');
  const action = `Refreshing the access token at ${endpointName(as)}`;
  let tokens: TokenSet;
  try {
    const response = await refreshTokenGrantRequest(as, oauthClient(client), clientAuthentication(client), input.refreshToken, {
      ...oauthOptions(http, step, as.token_endpoint),
      additionalParameters,
    });
    const screened = await screenTokenResponse(response, step, action, http);
    tokens = toTokenSet(await processRefreshTokenResponse(as, oauthClient(client), screened), now, step);
  } catch (error) {
    throw tokenFailure(error, step, action, client);
  }
  tokens.refreshToken ??= input.refreshToken;
  if (tokens.scopes === undefined && input.scopes) tokens.scopes = input.scopes; // RFC 6749 §5.1: omitted means as requested
  return tokens;
}

/** A refresh failure that ends the login: drop the tokens and ask for a new login, never retry. */
export interface LostLogin {
  reason: string;
  /**
   * invalid_client: the server no longer knows the client (AWS sign-in and in-memory servers
   * drop dynamic registrations), so its registration must go too, or the next login reuses it.
   */
  clientRejected: boolean;
}

export function lostLogin(error: unknown): LostLogin | undefined {
  if (!(error instanceof CodexAuthError) || error.step !== 'refresh') return undefined;
  const code = oauthErrorCode(error.cause);
  if (code === 'invalid_grant') return { reason: 'the server rejected the refresh token (invalid_grant)', clientRejected: false };
  if (code === 'invalid_client') return { reason: 'the server no longer accepts the registered client (invalid_client)', clientRejected: true };
  return undefined;
}

/** True when the token endpoint refused the client itself (invalid_client), at any step. */
export function isClientRejected(error: unknown): boolean {
  return error instanceof CodexAuthError && oauthErrorCode(error.cause) === 'invalid_client';
}

/** Revokes the refresh token, then the access token, when the server offers revocation. */
export async function revokeTokens(input: { as: AuthorizationServer; client: ClientRecord; tokens: TokenSet }, http: HttpClient): Promise<void> {
  const { as, client, tokens } = input;
  const endpoint = as.revocation_endpoint;
  if (endpoint === undefined) return;
  const targets: [string, string][] = [];
  if (tokens.refreshToken) targets.push([tokens.refreshToken, 'refresh_token']);
  targets.push([tokens.accessToken, 'access_token']);
  let firstFailure: CodexAuthError | undefined;
  for (const [token, hint] of targets) {
    try {
      const response = await revocationRequest(as, oauthClient(client), clientAuthentication(client), token, {
        ...oauthOptions(http, 'revocation', endpoint),
        additionalParameters: { token_type_hint: hint },
      });
      await processRevocationResponse(response);
    } catch (error) {
      // RFC 7009 §2.2.1: a server may not revoke some token types (self-contained JWT access
      // tokens, typically); those simply run out, so this is no failure.
      if (error instanceof ResponseBodyError && error.error === 'unsupported_token_type') {
        http.debug?.(`${redactUrl(endpoint)} does not revoke ${hint.replace('_', ' ')}s; it expires on its own`);
        continue;
      }
      // Try the access token even when the refresh token failed; report the first failure.
      firstFailure ??= toCodexAuthError(error, { step: 'revocation', action: `Revoking the ${hint.replace('_', ' ')} at ${redactUrl(endpoint)}` });
    }
  }
  if (firstFailure) throw firstFailure;
}

/**
 * Screens a token endpoint answer before oauth4webapi reads it, and returns the
 * response to hand it. The body decides, not the status: a JSON body holding
 * `error` is a refusal whatever the status (GitHub answers errors with 200); any
 * 2xx holding `access_token` and `token_type` is a success (Supabase answers
 * 201), handed on as the 200 oauth4webapi insists on. A body not declared JSON
 * is refused (oauth4webapi would read any JSON, and misreport an HTML error
 * page); expires_in written as a string of digits is read as that number of seconds, any
 * other unusable expires_in is dropped (oauth4webapi would reject a negative value outright).
 */
export async function screenTokenResponse(response: Response, step: Step, action: string, http: HttpClient): Promise<Response> {
  requireJsonResponse(response, step, action);
  const body: unknown = await response.clone().json().catch(() => undefined);
  if (!isRecord(body)) return response;
  if (typeof body.error === 'string' && body.error !== '') {
    // oauth4webapi reads the error of a 4xx itself; of any other status it would not.
    if (response.status >= 400 && response.status < 500) return response;
    throw new ResponseBodyError('server responded with an error in the response body', { cause: body as OAuth2Error, response });
  }
  const isSuccess = response.status >= 200 && response.status < 300 && typeof body.access_token === 'string' && typeof body.token_type === 'string';
  if (!isSuccess) return response;
  if (response.status !== 200) http.debug?.(`took HTTP ${response.status} with a token from ${redactUrl(response.url)} as success`);
  let screened = body;
  // Entra v1 and SAP write expires_in as a string of digits ("3599"): that many seconds.
  if (typeof body.expires_in === 'string' && /^\d{1,12}$/.test(body.expires_in) && isUsableLifetime(Number(body.expires_in))) {
    http.debug?.(`read expires_in ${JSON.stringify(body.expires_in)} from ${redactUrl(response.url)} as seconds`);
    screened = { ...body, expires_in: Number(body.expires_in) };
  } else if (body.expires_in !== undefined && !isUsableLifetime(body.expires_in)) {
    http.debug?.(`ignored an unusable expires_in (${describeValue(body.expires_in)}) from ${redactUrl(response.url)}`);
    const { expires_in: _unusable, ...rest } = body;
    screened = rest;
  }
  if (screened === body && response.status === 200) return response;
  return new Response(JSON.stringify(screened), { status: 200, headers: response.headers });
}

/** Ten years: no real access token lives longer, and every such expiry is a valid Date. */
const MAX_LIFETIME_S = 10 * 365 * 24 * 3600;

/**
 * expires_in (RFC 6749 §5.1) is a number of seconds. One that is not (a string other
 * than digits, negative, non-finite, over ten years) is treated as absent: the expiry comes
 * from the JWT exp or stays unknown, which `run` already handles by refreshing
 * early. Rejecting the answer instead would, on refresh, throw away a refresh
 * token the server has already rotated, turning a cosmetic fault into a lost
 * login. Either way, no expiry that is not a valid Date leaves the engine.
 */
function isUsableLifetime(expiresIn: unknown): expiresIn is number {
  return typeof expiresIn === 'number' && Number.isFinite(expiresIn) && expiresIn >= 0 && expiresIn <= MAX_LIFETIME_S;
}

export function toTokenSet(response: TokenEndpointResponse, now: () => number, step: Step): TokenSet {
  // oauth4webapi lower-cases token_type and accepts DPoP; Codex can only send Bearer.
  if (response.token_type !== 'bearer') throw notBearer(response.token_type, step);
  if (!isSendableToken(response.access_token)) throw unusableToken('access token', 'characters no HTTP header can carry (a space, line break, NUL, other control or non-ASCII characters)', step);
  if (response.refresh_token !== undefined && !isStorableToken(response.refresh_token)) throw unusableToken('refresh token', 'a line break, NUL or other control characters', step);
  const tokens: TokenSet = { accessToken: response.access_token, tokenType: 'Bearer' };
  if (response.refresh_token) tokens.refreshToken = response.refresh_token;
  const expiresAt = isUsableLifetime(response.expires_in) ? now() + response.expires_in * 1000 : jwtExpiry(response.access_token, now);
  if (expiresAt !== undefined) tokens.expiresAt = expiresAt;
  if (response.scope !== undefined) tokens.scopes = parseScopeList(response.scope);
  return tokens;
}

/** The claims of a JWT access token, read, not verified; undefined for an opaque token. */
function jwtClaims(token: string): Record<string, unknown> | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts[1]) return undefined;
  try {
    const claims: unknown = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    return isRecord(claims) ? claims : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The `exp` of a JWT access token, read (not verified) only to know when to
 * refresh. An exp that is not a plausible date leaves the expiry unknown.
 */
function jwtExpiry(token: string, now: () => number): number | undefined {
  const exp = jwtClaims(token)?.exp;
  if (typeof exp !== 'number' || !Number.isFinite(exp) || exp < 0 || exp * 1000 > now() + MAX_LIFETIME_S * 1000) return undefined;
  return exp * 1000;
}

const ACCOUNT_CLAIMS = ['email', 'preferred_username', 'sub'] as const;
const ACCOUNT_LENGTH = 100;

/**
 * Whom the authorization server logged in, as its JWT access token says (email, user name or
 * subject), so that a person sees a login completed into someone else's account. undefined for
 * opaque tokens. Shown, never trusted: it decides nothing.
 */
export function tokenAccount(tokens: TokenSet): string | undefined {
  const claims = jwtClaims(tokens.accessToken);
  const account = ACCOUNT_CLAIMS.map((name) => claims?.[name]).find((value): value is string => typeof value === 'string' && value !== '');
  return account?.slice(0, ACCOUNT_LENGTH);
}

/** A short, printable form of a value the server sent (never a token: only expires_in comes here). */
function describeValue(value: unknown): string {
  if (typeof value === 'string') return `the string ${JSON.stringify(value.slice(0, 40))}`;
  if (typeof value === 'number') return String(value);
  return (JSON.stringify(value) ?? String(value)).slice(0, 40);
}

function notBearer(tokenType: string, step: Step): CodexAuthError {
  return new CodexAuthError({
    kind: 'token',
    step,
    message: `The server issued a "${tokenType}" token; only Bearer tokens can be used.`,
    hint: 'Ask the server operator for Bearer tokens for this client.',
  });
}

function unusableToken(what: string, holding: string, step: Step): CodexAuthError {
  return new CodexAuthError({
    kind: 'token',
    step,
    message: `The server issued an ${what} holding ${holding}; refusing it (nothing was stored).`,
    hint: 'Tell the server operator; its tokens cannot be sent as they are.',
  });
}

export function tokenFailure(error: unknown, step: Step, action: string, client: ClientRecord): CodexAuthError {
  const known = findCodexAuthError(error);
  if (known) return known;
  if (error instanceof UnsupportedOperationError) {
    const body = isRecord(error.cause) && isRecord(error.cause.body) ? error.cause.body : {};
    return notBearer(String(body.token_type), step);
  }
  const answer = error instanceof OperationProcessingError && error.code === INVALID_RESPONSE && isRecord(error.cause) && isRecord(error.cause.body) ? error.cause.body : undefined;
  if (answer && typeof answer.access_token !== 'string') {
    return new CodexAuthError({
      kind: 'token',
      step,
      message: `${action} returned no access_token.`,
      hint: 'Tell the server operator; the token endpoint answered without a token.',
      cause: error,
    });
  }
  // Refused rather than guessed as Bearer: RFC 6749 §5.1 requires it, and the MCP SDKs refuse such an answer too.
  if (answer && typeof answer.token_type !== 'string') {
    return new CodexAuthError({
      kind: 'token',
      step,
      message: `${action} returned an access token without a token_type, so it is not known how to send it; nothing was stored.`,
      hint: 'Tell the server operator: a token answer must say token_type "Bearer" (RFC 6749 §5.1). Logging in again gets the same answer.',
      cause: error,
    });
  }
  return toCodexAuthError(error, {
    step,
    action,
    hint: step === 'refresh' ? 'Log in again.' : step === 'client-credentials' || step === 'jwt-bearer' || step === 'idp-token-exchange' ? 'Check the client and its credentials with the server operator, then run the login again.' : 'Run the login again.',
    hintFor: (code) => {
      if (code === 'invalid_grant' && step === 'idp-token-exchange') return 'The IdP refused the ID token (expired, or issued for another client): get a fresh one and log in again.';
      if (code === 'invalid_grant' && step === 'jwt-bearer') return 'The server refused the JWT (expired, for another audience, or already used): give a fresh one and log in again.';
      if (code === 'invalid_grant') return step === 'refresh' ? 'The refresh token is no longer valid: log in again.' : 'The code was rejected or expired: run the login again.';
      if (code === 'invalid_client' || code === 'unauthorized_client') {
        return client.source === 'dynamic'
          ? 'The server no longer knows the client it registered (its registration is dropped); log in again to register afresh.'
          : `The server refused the client ${client.clientId}; check its client id and ${client.privateKey ? 'private key' : 'secret'}.`;
      }
      if (code === 'invalid_target') return 'The server refused the resource indicator; check oauth_resource.';
      return undefined;
    },
  });
}

export function endpointName(as: AuthorizationServer): string {
  return as.token_endpoint ? redactUrl(as.token_endpoint) : as.issuer;
}
