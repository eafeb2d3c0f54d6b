// A by-hand OAuth client (plain fetch) for tests that need a real token from the test authorization
// server without going through codex-auth: discover, register, authorize with the headless browser,
// exchange the code with PKCE and `resource`.
import { createHash, randomBytes } from 'node:crypto';
import { driveAuthorization } from './browser.ts';

export interface HandTokens {
  access_token: string;
  refresh_token?: string;
  expires_in: number;
  scope?: string;
  client_id: string;
}

const REDIRECT_URI = 'http://127.0.0.1:8976/callback';

export async function fetchAuthServerMetadata(issuer: string): Promise<Record<string, any>> {
  const { origin, pathname } = new URL(issuer);
  const path = pathname === '/' ? '' : pathname;
  const response = await fetch(`${origin}/.well-known/oauth-authorization-server${path}`);
  if (!response.ok) throw new Error(`metadata for ${issuer}: HTTP ${response.status}`);
  return (await response.json()) as Record<string, any>;
}

/** Registers a native public client and logs in through the headless browser. */
export async function obtainTokensByHand(issuer: string, request: { resource: string; scope?: string }): Promise<HandTokens> {
  const metadata = await fetchAuthServerMetadata(issuer);
  const clientId = await registerPublicClient(metadata.registration_endpoint, request.scope);
  const verifier = randomBytes(32).toString('base64url');
  const state = randomBytes(16).toString('base64url');
  const authorize = new URL(metadata.authorization_endpoint);
  const params: Record<string, string> = {
    response_type: 'code',
    client_id: clientId,
    redirect_uri: REDIRECT_URI,
    state,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    resource: request.resource,
    ...(request.scope ? { scope: request.scope } : {}),
  };
  for (const [key, value] of Object.entries(params)) authorize.searchParams.set(key, value);

  const callback = await driveAuthorization(authorize.href);
  const code = callback.searchParams.get('code');
  if (!code || callback.searchParams.get('state') !== state) {
    throw new Error(`authorization failed: ${callback.searchParams.get('error') ?? 'state mismatch'}`);
  }
  const tokens = await postForm(metadata.token_endpoint, {
    grant_type: 'authorization_code',
    code,
    redirect_uri: REDIRECT_URI,
    code_verifier: verifier,
    client_id: clientId,
    resource: request.resource,
  });
  return { ...(tokens as Omit<HandTokens, 'client_id'>), client_id: clientId };
}

async function registerPublicClient(registrationEndpoint: string, scope: string | undefined): Promise<string> {
  const response = await fetch(registrationEndpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      client_name: 'peers smoke test',
      redirect_uris: [REDIRECT_URI],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      application_type: 'native',
      ...(scope ? { scope } : {}),
    }),
  });
  const body = (await response.json()) as { client_id?: string; error?: string };
  if (response.status !== 201 || !body.client_id) throw new Error(`registration refused: ${response.status} ${body.error}`);
  return body.client_id;
}

/** POSTs a form to the token endpoint; resolves with the JSON body, rejects with the OAuth error. */
export async function postForm(url: string, form: Record<string, string>): Promise<Record<string, unknown>> {
  const response = await fetch(url, { method: 'POST', body: new URLSearchParams(form) });
  const body = (await response.json()) as Record<string, unknown>;
  if (!response.ok) throw new Error(`${url} answered ${response.status}: ${String(body.error)}`);
  return body;
}

/** The claims of a JWT, unverified: for asserting on `aud` and `scope` in tests. */
export function jwtClaims(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as Record<string, unknown>;
}
