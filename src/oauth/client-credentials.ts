// The client credentials grant (OAuth 2.1 §4.2; MCP extension
// io.modelcontextprotocol/oauth-client-credentials, SEP-1046): a client acting for itself, with
// no person and no refresh token. A token that is due is asked for again the same way, with
// `resource` (RFC 8707) and the scopes of the login on every request.
import { clientCredentialsGrantRequest, processClientCredentialsResponse, type AuthorizationServer } from 'oauth4webapi';
import type { Step } from '../errors.ts';
import { oauthOptions, type HttpClient } from './http.ts';
import { clientAuthentication, oauthClient, type ClientRecord } from './registration.ts';
import { endpointName, screenTokenResponse, toTokenSet, tokenFailure, type TokenSet } from './tokens.ts';

export const CLIENT_CREDENTIALS_GRANT = 'client_credentials';

export async function requestClientCredentialsToken(
  input: { as: AuthorizationServer; client: ClientRecord; resource: string; scopes?: string[] },
  http: HttpClient,
  now: () => number,
): Promise<TokenSet> {
  const step: Step = 'client-credentials';
  const { as, client } = input;
  const action = `Requesting a token for the client ${client.clientId} at ${endpointName(as)}`;
  const parameters: Record<string, string> = { resource: input.resource };
  if (input.scopes && input.scopes.length > 0) parameters.scope = input.scopes.join(' ');
  try {
    const response = await clientCredentialsGrantRequest(as, oauthClient(client), clientAuthentication(client), parameters, oauthOptions(http, step, as.token_endpoint));
    const screened = await screenTokenResponse(response, step, action, http);
    const tokens = toTokenSet(await processClientCredentialsResponse(as, oauthClient(client), screened), now, step);
    // RFC 6749 §5.1: a scope left out of the answer is the one requested.
    if (tokens.scopes === undefined && input.scopes) tokens.scopes = input.scopes;
    return tokens;
  } catch (error) {
    throw tokenFailure(error, step, action, client);
  }
}
