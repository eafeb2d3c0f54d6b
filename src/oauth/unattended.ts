// Logins with no person: the client credentials grant (SEP-1046), the JWT-bearer grant of
// workload identity federation (SEP-1933), and enterprise-managed authorization (SEP-990: the
// user's ID token exchanged at the IdP for an ID-JAG, presented with the JWT-bearer grant). All
// log in and renew the same way: the pre-registered client, authenticated by its secret or
// private key, asks the token endpoint itself, with any JWT read afresh. No browser, no refresh token.
import type { AuthorizationServer } from 'oauth4webapi';
import { CodexAuthError, type Step } from '../errors.ts';
import { readAssertion, type AssertionSource } from './assertion-source.ts';
import { chooseSigningAlg } from './client-assertion.ts';
import { CLIENT_CREDENTIALS_GRANT, requestClientCredentialsToken } from './client-credentials.ts';
import { requireGrantType } from './discovery.ts';
import type { HttpClient } from './http.ts';
import { JWT_BEARER_GRANT, requestJwtBearerToken } from './jwt-bearer.ts';
import { exchangeForIdJag, type IdentityProvider } from './token-exchange.ts';
import type { UnattendedGrant } from './unattended-grants.ts';
import { preRegisteredClient, type ClientRecord } from './registration.ts';
import type { TokenSet } from './tokens.ts';


const GRANT_TYPES: Record<UnattendedGrant, string> = { client_credentials: CLIENT_CREDENTIALS_GRANT, 'jwt-bearer': JWT_BEARER_GRANT, enterprise: JWT_BEARER_GRANT };
const STEPS: Record<UnattendedGrant, Step> = { client_credentials: 'client-credentials', 'jwt-bearer': 'jwt-bearer', enterprise: 'idp-token-exchange' };

/** How a login with no person renews itself; kept with its grant in the 0600 state. */
export interface UnattendedMethod {
  grant: UnattendedGrant;
  /** jwt-bearer: where the workload's JWT comes from; enterprise: where the user's ID token comes from. */
  assertion?: AssertionSource;
  /** enterprise: the IdP that exchanges the ID token for an ID-JAG. */
  idp?: IdentityProvider;
}

export interface PreRegisteredClient {
  clientId: string;
  clientSecret?: string;
  tokenEndpointAuthMethod?: string;
  /** private_key_jwt: the PEM file, and the algorithm asked for (--signing-alg). */
  privateKey?: { path: string; alg?: string };
}

/** The grant_type the token endpoint sees. */
export function grantTypeOf(grant: UnattendedGrant): string {
  return GRANT_TYPES[grant];
}

export function stepOf(grant: UnattendedGrant): Step {
  return STEPS[grant];
}

/**
 * Before anything is sent: the server must offer the grant, and the client's authentication must
 * be one it takes. A GitHub Actions JWT asked for no particular audience is asked for the issuer's.
 */
export function prepareUnattended(as: AuthorizationServer, method: UnattendedMethod, client: PreRegisteredClient, now: () => number): { method: UnattendedMethod; client: ClientRecord } {
  requireGrantType(as, GRANT_TYPES[method.grant], `Ask the server operator for a client allowed the ${method.grant} grant, or log in without --grant.`);
  const assertion = method.assertion?.kind === 'github-actions' && !method.assertion.audience ? { ...method.assertion, audience: as.issuer } : method.assertion;
  return { method: { ...method, ...(assertion ? { assertion } : {}) }, client: preRegisteredClient(as, clientAuth(as, client), undefined, now) };
}

/**
 * private_key_jwt with a key (its algorithm chosen against the server's list now, so a mismatch
 * fails at login); else the secret, sent the way the server's metadata says; else a public client.
 */
function clientAuth(as: AuthorizationServer, client: PreRegisteredClient): Parameters<typeof preRegisteredClient>[1] {
  const { privateKey, ...withSecret } = client;
  if (!privateKey) return withSecret;
  const methods = as.token_endpoint_auth_methods_supported;
  if (methods !== undefined && !methods.includes('private_key_jwt')) {
    throw new CodexAuthError({
      kind: 'discovery',
      step: 'authorization-server-metadata',
      message: `The authorization server ${as.issuer} does not accept private_key_jwt client authentication (token_endpoint_auth_methods_supported: ${methods.join(', ')}).`,
      hint: methods.some((method) => method.startsWith('client_secret')) ? "Use the client's secret instead: --client-secret-env <VAR>." : 'Ask the server operator which client authentication it accepts.',
    });
  }
  return { ...withSecret, tokenEndpointAuthMethod: 'private_key_jwt', privateKey: { path: privateKey.path, alg: chooseSigningAlg(privateKey.path, as, privateKey.alg) } };
}

/** One token request, at login and at every renewal alike. */
export async function requestUnattendedToken(
  method: UnattendedMethod,
  input: { as: AuthorizationServer; client: ClientRecord; resource: string; scopes?: string[] },
  http: HttpClient,
  now: () => number,
): Promise<TokenSet> {
  if (method.grant === 'client_credentials') return requestClientCredentialsToken(input, http, now);
  if (!method.assertion) {
    throw new CodexAuthError({ kind: 'usage', step: 'arguments', message: `The ${method.grant} grant needs a JWT to present.`, hint: 'Give its source (--assertion-… or --id-token-…).' });
  }
  if (method.grant === 'jwt-bearer') return requestJwtBearerToken({ ...input, assertion: await readAssertion(method.assertion, 'the workload JWT', http) }, http, now);
  if (!method.idp) throw new CodexAuthError({ kind: 'usage', step: 'arguments', message: 'Enterprise-managed authorization needs the IdP.', hint: 'Give --idp-token-endpoint and --idp-client-id.' });
  const idToken = await readAssertion(method.assertion, 'the ID token', http);
  const idJag = await exchangeForIdJag({ idp: method.idp, idToken, audience: input.as.issuer, resource: input.resource, ...(input.scopes ? { scopes: input.scopes } : {}) }, http);
  return requestJwtBearerToken({ ...input, assertion: idJag }, http, now);
}
