// The authorization request: PKCE (S256), state, scope and resource (RFC 8707).
import { calculatePKCECodeChallenge, generateRandomCodeVerifier, generateRandomState, type AuthorizationServer } from 'oauth4webapi';
import { CodexAuthError } from '../errors.ts';
import { isAllowedUrl, parseUrl } from './http.ts';
import type { ClientRecord } from './registration.ts';
import { OFFLINE_ACCESS } from './scopes.ts';

export interface AuthorizationRequest {
  url: URL;
  state: string;
  codeVerifier: string;
  redirectUri: string;
}

export async function buildAuthorizationRequest(input: {
  as: AuthorizationServer;
  client: ClientRecord;
  redirectUri: string;
  scopes?: string[];
  resource: string;
}): Promise<AuthorizationRequest> {
  const url = authorizationEndpoint(input.as);
  const codeVerifier = generateRandomCodeVerifier();
  const state = generateRandomState();
  // `set` keeps any query the endpoint already has and leaves each of ours there exactly once.
  const params = url.searchParams;
  params.set('response_type', 'code');
  params.set('client_id', input.client.clientId);
  params.set('redirect_uri', input.redirectUri);
  params.set('state', state);
  params.set('code_challenge', await calculatePKCECodeChallenge(codeVerifier));
  params.set('code_challenge_method', 'S256');
  if (input.scopes && input.scopes.length > 0) params.set('scope', input.scopes.join(' '));
  else params.delete('scope');
  // OIDC Core §11: offline_access is dropped, and no refresh token issued, unless the request asks
  // the person to consent (oidc-provider's and better-auth's default rule).
  if (input.scopes?.includes(OFFLINE_ACCESS)) params.set('prompt', 'consent');
  params.set('resource', input.resource);
  return { url, state, codeVerifier, redirectUri: input.redirectUri };
}

/** Opened in a browser, so it must be https (http only on loopback), never another scheme. */
function authorizationEndpoint(as: AuthorizationServer): URL {
  const url = as.authorization_endpoint === undefined ? undefined : parseUrl(as.authorization_endpoint);
  if (url && isAllowedUrl(url)) return url;
  throw new CodexAuthError({
    kind: 'discovery',
    step: 'authorization',
    message:
      url === undefined
        ? `The authorization server ${as.issuer} publishes no usable authorization_endpoint.`
        : `The authorization endpoint ${url.origin}${url.pathname} is not https; refusing to open it.`,
    hint: 'Tell the server operator; endpoints are taken only from the server metadata.',
  });
}
