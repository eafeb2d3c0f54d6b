// The JWT-bearer grant (RFC 7523 §2.1): a JWT the client holds is exchanged for an access token.
// Workload identity federation (MCP extension io.modelcontextprotocol/auth/wif, SEP-1933) presents
// the workload's own JWT; enterprise-managed authorization (SEP-990) presents the ID-JAG its IdP
// issued. A refusal (invalid_grant, invalid_scope, unauthorized_client) is reported as it is:
// never retried with the same assertion, never followed by another grant.
import { genericTokenEndpointRequest, processGenericTokenEndpointResponse, type AuthorizationServer } from 'oauth4webapi';
import type { Step } from '../errors.ts';
import { oauthOptions, type HttpClient } from './http.ts';
import { clientAuthentication, oauthClient, type ClientRecord } from './registration.ts';
import { endpointName, screenTokenResponse, toTokenSet, tokenFailure, type TokenSet } from './tokens.ts';

export const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

export async function requestJwtBearerToken(
  input: { as: AuthorizationServer; client: ClientRecord; assertion: string; resource: string; scopes?: string[] },
  http: HttpClient,
  now: () => number,
): Promise<TokenSet> {
  const step: Step = 'jwt-bearer';
  const { as, client } = input;
  const action = `Exchanging the JWT for an access token at ${endpointName(as)}`;
  const parameters: Record<string, string> = { assertion: input.assertion, resource: input.resource };
  if (input.scopes && input.scopes.length > 0) parameters.scope = input.scopes.join(' ');
  try {
    const response = await genericTokenEndpointRequest(as, oauthClient(client), clientAuthentication(client), JWT_BEARER_GRANT, parameters, oauthOptions(http, step, as.token_endpoint));
    const screened = await screenTokenResponse(response, step, action, http);
    const tokens = toTokenSet(await processGenericTokenEndpointResponse(as, oauthClient(client), screened), now, step);
    if (tokens.scopes === undefined && input.scopes) tokens.scopes = input.scopes; // RFC 6749 §5.1
    return tokens;
  } catch (error) {
    throw tokenFailure(error, step, action, client);
  }
}
