// The conformance suite's client under test: codex-auth's own OAuth engine
// (login / refreshGrant), then the MCP calls of mcp-calls.ts. It stays
// thin on purpose: every protocol decision belongs to the engine; this file
// only reacts to the HTTP status of real MCP requests the way the session
// proxy does (401 -> refresh once, then log in again; 403 insufficient_scope ->
// step-up login with the union of scopes, at most MAX_STEP_UPS times), and
// hands the engine the challenge it met so the engine need not probe again.
// Run by scripts/conformance.mjs as: node --import tsx test/conformance/client.ts <server-url>
import { authorizationChallenge, type ProbeResult } from '../../src/oauth/challenge.ts';
import { MemoryCredentialBindings } from '../../src/oauth/client-binding.ts';
import { login, MAX_STEP_UPS, refreshGrant, type Grant, type LoginDeps, type LoginRequest } from '../../src/oauth/flow.ts';
import { createHttpClient } from '../../src/oauth/http.ts';
import { MemoryClientStore } from '../../src/oauth/registration.ts';
import { CIMD_SCENARIO, CIMD_URL, followAuthorizationRedirect, readConformanceEnv, type ConformanceContext } from './conformance-env.ts';
import { exerciseServer } from './mcp-calls.ts';

/**
 * Logins a 401 may trigger per run: one where initialize was open and the first
 * challenge came later, one after the server stopped accepting a grant (e.g. its
 * authorization server changed) and a refresh did not cure it.
 */
const MAX_LOGINS_AFTER_401 = 2;

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

/** The engine binds a pre-registered secret to its issuer; a scenario is one process, so memory is enough. */
function credentialBindings(context: ConformanceContext): LoginRequest['credentialBindings'] {
  return context.client_secret === undefined ? undefined : new MemoryCredentialBindings();
}

/** Holds the current grant and decides, from an MCP response, whether to authorize and retry. */
class Session {
  private grant: Grant | undefined;
  private stepUps = 0;
  private loginsAfter401 = 0;
  private refreshedSinceLogin = false;

  constructor(
    private readonly request: LoginRequest,
    private readonly deps: LoginDeps,
  ) {}

  get accessToken(): string | undefined {
    return this.grant?.tokens.accessToken;
  }

  async login(extra: Pick<LoginRequest, 'challenge' | 'stepUp'> = {}): Promise<void> {
    const outcome = await login({ ...this.request, ...extra }, this.deps);
    this.grant = outcome.kind === 'logged-in' ? outcome.grant : undefined;
    this.refreshedSinceLogin = false;
  }

  /** How to get a token that may succeed where `response` failed, if there is a way. */
  private recoveryFor(response: Response): (() => Promise<void>) | undefined {
    const challenge = authorizationChallenge(response.status, response.headers.get('www-authenticate'), new URL(this.request.mcpUrl));
    if (challenge === undefined) return undefined;
    if (response.status === 403) return challenge.error === 'insufficient_scope' ? this.stepUpRecovery(challenge) : undefined;
    const grant = this.grant;
    if (grant?.tokens.refreshToken !== undefined && !this.refreshedSinceLogin) {
      return async () => {
        this.refreshedSinceLogin = true;
        this.grant = await refreshGrant(grant, this.deps);
      };
    }
    if (this.loginsAfter401 >= MAX_LOGINS_AFTER_401) return undefined;
    this.loginsAfter401++;
    return () => this.login({ challenge });
  }

  private stepUpRecovery(challenge: ProbeResult): (() => Promise<void>) | undefined {
    if (this.stepUps >= MAX_STEP_UPS) return undefined;
    this.stepUps++;
    const granted = this.grant?.tokens.scopes ?? this.grant?.scopesRequested;
    return () => this.login({ challenge, stepUp: { grantedScopes: granted, challengedScopes: challenge.scopes } });
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
    // The suite's placeholder document URL is a real user setting only where the
    // scenario expects it; elsewhere the suite's AS would try to fetch it from the internet.
    ...(env.scenario === CIMD_SCENARIO ? { clientMetadataUrl: CIMD_URL } : {}),
    preRegistered: preRegisteredClient(env.context),
    credentialBindings: credentialBindings(env.context),
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
