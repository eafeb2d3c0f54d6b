// Enterprise-managed authorization (MCP extension
// io.modelcontextprotocol/enterprise-managed-authorization, SEP-990), first leg: the user's ID
// token is exchanged at the enterprise IdP (RFC 8693 token exchange) for an Identity Assertion
// JWT Authorization Grant (ID-JAG) naming the MCP server's authorization server and resource.
// The second leg presents it with the JWT-bearer grant (jwt-bearer.ts).
import { genericTokenEndpointRequest, processGenericTokenEndpointResponse, type AuthorizationServer } from 'oauth4webapi';
import { CodexAuthError, type Step } from '../errors.ts';
import { isRecord } from './failures.ts';
import { oauthOptions, redactUrl, type HttpClient } from './http.ts';
import { clientAuthentication, oauthClient, type ClientRecord } from './registration.ts';
import { screenTokenResponse, tokenFailure } from './tokens.ts';

export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ID_JAG = 'urn:ietf:params:oauth:token-type:id-jag';
const ID_TOKEN = 'urn:ietf:params:oauth:token-type:id_token';

/** The IdP's token endpoint and the client codex-auth is registered as there; kept in the 0600 state. */
export interface IdentityProvider {
  tokenEndpoint: string;
  clientId: string;
  clientSecret?: string;
}

/** The IdP as oauth4webapi sees it: only its token endpoint is known (given, not discovered). */
function idpServer(idp: IdentityProvider): AuthorizationServer {
  return { issuer: new URL(idp.tokenEndpoint).origin, token_endpoint: idp.tokenEndpoint };
}

function idpClient(idp: IdentityProvider): ClientRecord {
  return {
    issuer: new URL(idp.tokenEndpoint).origin,
    clientId: idp.clientId,
    ...(idp.clientSecret ? { clientSecret: idp.clientSecret } : {}),
    tokenEndpointAuthMethod: idp.clientSecret ? 'client_secret_basic' : 'none',
    redirectUris: [],
    source: 'pre-registered',
    createdAt: 0,
  };
}

/** Returns the ID-JAG for `audience` (the MCP authorization server's issuer) and `resource`. */
export async function exchangeForIdJag(
  input: { idp: IdentityProvider; idToken: string; audience: string; resource: string; scopes?: string[] },
  http: HttpClient,
): Promise<string> {
  const step: Step = 'idp-token-exchange';
  const as = idpServer(input.idp);
  const client = idpClient(input.idp);
  const action = `Exchanging the ID token at the IdP ${redactUrl(input.idp.tokenEndpoint)}`;
  const parameters: Record<string, string> = {
    requested_token_type: ID_JAG,
    subject_token: input.idToken,
    subject_token_type: ID_TOKEN,
    audience: input.audience,
    resource: input.resource,
  };
  if (input.scopes && input.scopes.length > 0) parameters.scope = input.scopes.join(' ');
  let answer: unknown;
  try {
    const response = await screenTokenResponse(
      await genericTokenEndpointRequest(as, oauthClient(client), clientAuthentication(client), TOKEN_EXCHANGE_GRANT, parameters, oauthOptions(http, step, input.idp.tokenEndpoint)),
      step,
      action,
      http,
    );
    // An ID-JAG is no access token (token_type N_A), which oauth4webapi refuses to read; it
    // still reads a refusal, and reports it as for every other token request.
    if (response.status !== 200) await processGenericTokenEndpointResponse(as, oauthClient(client), response);
    answer = await response.json();
  } catch (error) {
    throw tokenFailure(error, step, action, client);
  }
  if (!isRecord(answer) || answer.issued_token_type !== ID_JAG || typeof answer.access_token !== 'string' || answer.access_token === '') {
    const issued = isRecord(answer) ? JSON.stringify(String(answer.issued_token_type)).slice(0, 80) : 'none';
    throw new CodexAuthError({
      kind: 'token',
      step,
      message: `${action} returned no ID-JAG (issued_token_type ${issued}).`,
      hint: 'Ask the IdP administrator to enable Identity Assertion Authorization Grants for this client.',
    });
  }
  return answer.access_token;
}
