// One proxy route per logged-in server: where its requests go and how its
// token is kept valid for the whole session (refresh near expiry, refresh once
// after a 401, step up after 403 insufficient_scope).
import type { ProxyRoute } from '../codex/proxy.ts';
import { CodexAuthError } from '../errors.ts';
import type { ProbeResult } from '../oauth/challenge.ts';
import { unionScopes } from '../oauth/scopes.ts';
import { MAX_STEP_UPS, type Grant } from '../oauth/flow.ts';
import { shellCommand } from '../shell.ts';
import { ensureFresh, type FreshnessDeps } from './fresh.ts';
import type { RefreshPolicy } from './policy.ts';

/** A re-authorization after 403 insufficient_scope: the engine asks for the union, using the server's challenge. */
export interface StepUp {
  grantedScopes: string[];
  challengedScopes: string[];
  challenge: ProbeResult;
}

export interface RouteDeps extends FreshnessDeps {
  /** Re-authorizes with the given scopes; undefined when no person/browser can do it now. */
  reauthorize?: (serverName: string, stepUp: StepUp) => Promise<Grant | undefined>;
  warn: (message: string) => void;
}

function tokenOf(freshness: Awaited<ReturnType<typeof ensureFresh>>, serverName: string): string {
  if ('grant' in freshness) return freshness.grant.tokens.accessToken;
  throw new CodexAuthError({ kind: 'notLoggedIn', step: 'proxy', server: serverName, message: `${serverName}: ${freshness.reason}`, hint: shellCommand(['codex-auth', 'login', serverName]) });
}

/** Coalesces concurrent calls into one in-flight promise (single-flight inside this process). */
function singleFlight<A extends unknown[], T>(work: (...args: A) => Promise<T>): (...args: A) => Promise<T> {
  let inFlight: Promise<T> | undefined;
  return (...args) => {
    inFlight ??= work(...args).finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  };
}

const ON_REQUEST: RefreshPolicy = { use: 'request' };

export function createRoute(deps: RouteDeps, serverName: string, mcpUrl: string): ProxyRoute {
  let stepUps = 0;
  const current = singleFlight(async () => {
    // Open at login and not logged in since: requests go without a token until one is asked for.
    const state = deps.store.server(serverName);
    if (state.open && !state.grant) return undefined;
    return tokenOf(await ensureFresh(deps, serverName, mcpUrl, ON_REQUEST), serverName);
  });
  const afterRejection = singleFlight(async (rejected: string) => {
    const freshness = await ensureFresh(deps, serverName, mcpUrl, ON_REQUEST, rejected);
    if (!('grant' in freshness) || freshness.grant.tokens.accessToken === rejected) return undefined;
    return freshness.grant.tokens.accessToken;
  });
  const stepUp = singleFlight(async (challenge: ProbeResult) => {
    const challenged = challenge.scopes ?? [];
    if (!deps.reauthorize || stepUps >= MAX_STEP_UPS) return undefined;
    stepUps += 1;
    const granted = deps.store.server(serverName).grant?.tokens.scopes;
    deps.warn(granted
      ? `${serverName} asks for more access; authorizing again with: ${unionScopes(granted, challenged).join(' ')}`
      : `${serverName} now asks for authorization; logging in`);
    const grant = await deps.reauthorize(serverName, { grantedScopes: granted ?? [], challengedScopes: challenged, challenge });
    return grant?.tokens.accessToken;
  });
  return {
    serverName,
    upstream: new URL(mcpUrl),
    currentToken: () => current(),
    refreshAfterRejection: (rejected) => afterRejection(rejected),
    stepUp: (challenge) => stepUp(challenge),
  };
}
