// The conformance suite's client under test: codex-auth's own OAuth engine
// (login / refreshGrant), then the MCP calls of mcp-calls.ts. It stays
// thin on purpose: every protocol decision belongs to the engine; this file
// only reacts to the HTTP status of real MCP requests the way the session
// proxy does (401 -> refresh once, then log in again; 403 insufficient_scope ->
// step-up login with the union of scopes), bounded.
// Run by scripts/conformance.mjs as: node --import tsx test/conformance/client.ts <server-url>
import { bearerChallenge, describeChallenge, splitScopes } from '../../src/oauth/challenge.ts';
import { login, refreshGrant, type Grant, type LoginDeps, type LoginRequest } from '../../src/oauth/flow.ts';
import { createHttpClient } from '../../src/oauth/http.ts';
import type { ClientRecord, ClientStore } from '../../src/oauth/registration.ts';
import { CIMD_URL, followAuthorizationRedirect, readConformanceEnv, type ConformanceContext } from './conformance-env.ts';
import { exerciseServer } from './mcp-calls.ts';

/** Logins per run, the first included: the suite's auth/scope-retry-limit allows 3. */
const MAX_LOGINS = 3;

class MemoryClientStore implements ClientStore {
  private readonly records = new Map<string, ClientRecord>();
  find(issuer: string): ClientRecord | undefined {
    return this.records.get(issuer);
  }
  save(record: ClientRecord): void {
    this.records.set(record.issuer, record);
  }
}

function loginDeps(): LoginDeps {
  return {
    http: createHttpClient({}),
    now: Date.now,
    progress: (step, detail) => console.error(`[${step}] ${detail}`),
    authorizeInteractively: ({ url, listener }) => followAuthorizationRedirect(url, fetch, listener.redirectUri),
  };
}

function preRegisteredClient(context: ConformanceContext): LoginRequest['preRegistered'] {
  if (context.client_id === undefined) return undefined;
  return { clientId: context.client_id, clientSecret: context.client_secret };
}

/** What the Bearer challenge of an MCP response asks for (scope, error). */
function readChallenge(response: Response, mcpUrl: URL) {
  const challenge = bearerChallenge(response.headers.get('www-authenticate'));
  return challenge === undefined ? {} : describeChallenge(challenge, mcpUrl);
}

/** Holds the current grant and decides, from an MCP response, whether to authorize and retry. */
class Session {
  private grant: Grant | undefined;
  private logins = 0;
  private refreshedSinceLogin = false;

  constructor(
    private readonly request: LoginRequest,
    private readonly deps: LoginDeps,
  ) {}

  get accessToken(): string | undefined {
    return this.grant?.tokens.accessToken;
  }

  async login(stepUp?: LoginRequest['stepUp']): Promise<void> {
    if (this.logins >= MAX_LOGINS) throw new Error(`giving up after ${MAX_LOGINS} logins`);
    this.logins++;
    const outcome = await login({ ...this.request, stepUp }, this.deps);
    this.grant = outcome.kind === 'logged-in' ? outcome.grant : undefined;
    this.refreshedSinceLogin = false;
  }

  /** How to get a token that may succeed where `response` failed, if there is a way. */
  private recoveryFor(response: Response): (() => Promise<void>) | undefined {
    const challenge = readChallenge(response, new URL(this.request.mcpUrl));
    if (response.status === 403 && challenge.error === 'insufficient_scope') {
      const granted = splitScopes(this.grant?.tokens.scope) ?? this.grant?.scopesRequested;
      return () => this.login({ grantedScopes: granted, challengedScopes: challenge.scopes });
    }
    if (response.status !== 401) return undefined;
    const grant = this.grant;
    if (grant?.tokens.refreshToken !== undefined && !this.refreshedSinceLogin) {
      return async () => {
        this.refreshedSinceLogin = true;
        this.grant = await refreshGrant(grant, this.deps);
      };
    }
    return () => this.login();
  }

  /** fetch for the MCP transport: adds the bearer token, recovers from 401/403 and sends again. */
  readonly fetch = async (input: string | URL, init?: RequestInit): Promise<Response> => {
    for (;;) {
      const headers = new Headers(init?.headers);
      if (this.accessToken !== undefined) headers.set('authorization', `Bearer ${this.accessToken}`);
      const response = await fetch(input, { ...init, headers });
      const recovery = this.recoveryFor(response);
      if (recovery === undefined) return response;
      await response.body?.cancel();
      await recovery();
    }
  };
}

async function main(): Promise<void> {
  const env = readConformanceEnv(process.argv, process.env);
  const request: LoginRequest = {
    serverName: 'conformance',
    mcpUrl: env.serverUrl.href,
    clients: new MemoryClientStore(),
    clientMetadataUrl: CIMD_URL,
    preRegistered: preRegisteredClient(env.context),
  };
  const session = new Session(request, loginDeps());
  await session.login();
  await exerciseServer(env.serverUrl, env.protocolVersion, session.fetch);
}

main().catch((error: unknown) => {
  const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  console.error(detail);
  process.exit(1);
});
