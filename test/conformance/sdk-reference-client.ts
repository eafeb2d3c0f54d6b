// The MCP TypeScript SDK's own OAuth client, driven headlessly, as a baseline for
// the conformance harness: when a scenario fails for codex-auth's engine but
// passes here, the gap is the engine's, not the harness's. It speaks the MCP
// revisions of SDK 1.32 only, so the suite's MCP 2026-07-28 (draft) scenarios fail for it.
// Run as: node --import tsx sdk-reference-client.ts <server-url>
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { OAuthClientInformationMixed, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import { CIMD_URL, REDIRECT_URI, followAuthorizationRedirect, readConformanceEnv } from './conformance-env.ts';

const MAX_AUTHORIZATIONS = 3;

/** An in-memory provider whose "browser" is one fetch of the authorization URL. */
class HeadlessProvider implements OAuthClientProvider {
  private client: OAuthClientInformationMixed | undefined;
  private savedTokens: OAuthTokens | undefined;
  private verifier = '';
  authorizationCode: string | undefined;
  readonly clientMetadataUrl = CIMD_URL;

  constructor(preRegistered?: OAuthClientInformationMixed) {
    this.client = preRegistered;
  }

  get redirectUrl(): string {
    return REDIRECT_URI;
  }

  get clientMetadata() {
    return {
      client_name: 'codex-auth conformance (SDK reference)',
      redirect_uris: [REDIRECT_URI],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      application_type: 'native',
    };
  }

  clientInformation() {
    return this.client;
  }
  saveClientInformation(info: OAuthClientInformationMixed) {
    this.client = info;
  }
  tokens() {
    return this.savedTokens;
  }
  saveTokens(tokens: OAuthTokens) {
    this.savedTokens = tokens;
  }
  saveCodeVerifier(verifier: string) {
    this.verifier = verifier;
  }
  codeVerifier() {
    return this.verifier;
  }
  async redirectToAuthorization(url: URL) {
    const callback = await followAuthorizationRedirect(url, fetch);
    this.authorizationCode = callback.searchParams.get('code') ?? undefined;
  }
}

async function useServer(serverUrl: URL, provider: HeadlessProvider): Promise<void> {
  const client = new Client({ name: 'codex-auth-conformance-sdk', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(serverUrl, { authProvider: provider });
  try {
    await client.connect(transport);
    const { tools } = await client.listTools();
    for (const tool of tools) await client.callTool({ name: tool.name, arguments: {} });
  } catch (error) {
    if (!(error instanceof UnauthorizedError) || provider.authorizationCode === undefined) throw error;
    await transport.finishAuth(provider.authorizationCode);
    provider.authorizationCode = undefined;
    throw error;
  } finally {
    await client.close();
  }
}

async function main(): Promise<void> {
  const env = readConformanceEnv(process.argv, process.env);
  const preRegistered = env.context.client_id === undefined
    ? undefined
    : { client_id: env.context.client_id, client_secret: env.context.client_secret };
  const provider = new HeadlessProvider(preRegistered);
  for (let attempt = 1; ; attempt++) {
    try {
      return await useServer(env.serverUrl, provider);
    } catch (error) {
      if (!(error instanceof UnauthorizedError) || attempt >= MAX_AUTHORIZATIONS) throw error;
    }
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
