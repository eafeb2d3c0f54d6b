// The two versions the crash writer alternates between; the test checks every
// file it finds after a kill against exactly these.
import type { WiringPlan } from '../../../src/codex/wiring.ts';
import type { Grant } from '../../../src/oauth/flow.ts';

/** Padding makes each write span several blocks, so kills land inside writes too. */
const PADDING = 'x'.repeat(16 * 1024);

export function grantVersion(version: number): Grant {
  return {
    serverName: 'demo',
    mcpUrl: 'http://127.0.0.1:9/mcp',
    resource: 'http://127.0.0.1:9/mcp',
    issuer: 'http://127.0.0.1:9',
    authorizationServer: { issuer: 'http://127.0.0.1:9', token_endpoint: 'http://127.0.0.1:9/token' },
    client: { issuer: 'http://127.0.0.1:9', clientId: 'client', tokenEndpointAuthMethod: 'none', redirectUris: [], source: 'dynamic', createdAt: 1 },
    tokens: { accessToken: `access-${version}-${PADDING}`, refreshToken: `refresh-${version}`, tokenType: 'Bearer', expiresAt: 1_000 + version },
    obtainedAt: version,
  };
}

export function envVersion(version: number): Record<string, string> {
  return { CODEX_AUTH_DEMO_TOKEN: `access-${version}-${PADDING}` };
}

/** The helper wiring the config writer alternates with the original entry. */
export const HELPER_COMMAND = "'/usr/bin/node' /opt/codex-auth/bin/codex-auth.js headers demo";
export const HELPER_PLAN: WiringPlan = { wiring: 'helper', helperCommand: () => HELPER_COMMAND };
