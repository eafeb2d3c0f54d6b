// What the conformance suite hands a client under test, and the headless
// "browser" its authorization endpoint needs.

/**
 * The Client ID Metadata Document URL the suite's `auth/basic-cimd` scenario
 * expects as client_id; that scenario's AS never fetches it. Other scenarios
 * whose AS also supports metadata documents (0.2's auth/offline-access-scope)
 * do fetch a URL client_id, and this placeholder lives on the internet: only
 * the scenario that expects it gets it.
 */
export const CIMD_URL = 'https://conformance-test.local/client-metadata.json';
export const CIMD_SCENARIO = 'auth/basic-cimd';

/** Redirect URI for clients that never listen on it (the suite's /authorize answers at once). */
export const REDIRECT_URI = 'http://127.0.0.1:3000/callback';

/** Credentials the suite passes in MCP_CONFORMANCE_CONTEXT (auth/pre-registration). */
export interface ConformanceContext {
  client_id?: string;
  client_secret?: string;
  issuer?: string;
  /** auth/client-credentials-jwt: the client's PKCS#8 key and the algorithm the server expects. */
  private_key_pem?: string;
  signing_algorithm?: string;
  /** auth/wif-jwt-bearer: a workload JWT for the scenario's authorization server. */
  valid_jwt?: string;
  /** auth/enterprise-managed-authorization: the IdP's token endpoint, codex-auth's client there, and the user's ID token. */
  idp_token_endpoint?: string;
  idp_client_id?: string;
  idp_id_token?: string;
}

export interface ConformanceEnv {
  serverUrl: URL;
  scenario: string;
  /** The MCP revision the scenario's server speaks (set by suite 0.2+; absent means 2025-11-25 or older). */
  protocolVersion: string | undefined;
  context: ConformanceContext;
}

/** The suite appends the server URL as the last argument and sets the scenario variables. */
export function readConformanceEnv(argv: string[], env: NodeJS.ProcessEnv): ConformanceEnv {
  const last = argv.at(-1);
  if (last === undefined || !/^https?:\/\//.test(last)) {
    throw new Error('usage: client.ts <mcp-server-url> (run by the conformance suite)');
  }
  return {
    serverUrl: new URL(last),
    scenario: env.MCP_CONFORMANCE_SCENARIO ?? '',
    protocolVersion: env.MCP_CONFORMANCE_PROTOCOL_VERSION,
    context: parseContext(env.MCP_CONFORMANCE_CONTEXT),
  };
}

function parseContext(raw: string | undefined): ConformanceContext {
  if (raw === undefined || raw === '') return {};
  const value: unknown = JSON.parse(raw);
  if (typeof value !== 'object' || value === null) return {};
  const record = value as Record<string, unknown>;
  const text = (key: string) => (typeof record[key] === 'string' ? record[key] : undefined);
  return {
    client_id: text('client_id'),
    client_secret: text('client_secret'),
    issuer: text('issuer'),
    private_key_pem: text('private_key_pem'),
    signing_algorithm: text('signing_algorithm'),
    valid_jwt: text('valid_jwt'),
    idp_token_endpoint: text('idp_token_endpoint'),
    idp_client_id: text('idp_client_id'),
    idp_id_token: text('idp_id_token'),
  };
}

const MAX_REDIRECTS = 5;

/**
 * Plays the user's browser: requests the authorization URL without following
 * redirects automatically and returns the first Location that leads back to the
 * client (`redirectUri` origin and path), i.e. the callback URL with code/state.
 */
export async function followAuthorizationRedirect(
  authorizationUrl: URL,
  fetchFn: typeof fetch,
  redirectUri: string = REDIRECT_URI,
): Promise<URL> {
  const expected = new URL(redirectUri);
  let next = authorizationUrl;
  for (let hop = 0; hop < MAX_REDIRECTS; hop++) {
    const response = await fetchFn(next, { redirect: 'manual' });
    await response.body?.cancel();
    const location = response.headers.get('location');
    if (response.status < 300 || response.status >= 400 || location === null) {
      throw new Error(`authorization endpoint answered ${response.status} without a redirect`);
    }
    next = new URL(location, next);
    if (next.origin === expected.origin && next.pathname === expected.pathname) return next;
  }
  throw new Error(`no redirect back to ${redirectUri} after ${MAX_REDIRECTS} hops`);
}
