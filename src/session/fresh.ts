// Keeps one server's access token fresh: a lock-free look first (the hot path
// makes no network call and takes no lock when the token is still good), then,
// only if needed, a refresh under the server's cross-process lock, re-reading
// the state inside it so that only one process ever spends a refresh token.
// The refresh machinery (OAuth engine, lock) loads only when a refresh is due.
import { CodexAuthError } from '../errors.ts';
import type { Grant } from '../oauth/flow.ts';
import type { HttpClient } from '../oauth/http.ts';
import type { StatePaths } from '../store/paths.ts';
import type { StateStore } from '../store/state.ts';
import { isSendableToken } from '../oauth/token-syntax.ts';
import { canRenew, hasExpired, refreshDue, type RefreshPolicy } from './policy.ts';

export type Freshness =
  | { status: 'fresh' | 'refreshed'; grant: Grant }
  | { status: 'needs-login'; reason: string; /** The url the login is for, when the entry's url is another now. */ loggedInFor?: string }
  | { status: 'stale'; grant: Grant; error: CodexAuthError };

export interface FreshnessDeps {
  store: StateStore;
  paths: StatePaths;
  http: HttpClient;
  now: () => number;
  /** The longest this caller can wait for another process's refresh (the header helper's deadline). */
  lockWaitAtMostMs?: number;
}

function usableGrant(deps: Omit<FreshnessDeps, 'http'>, serverName: string, mcpUrl: string): Grant | Freshness {
  const state = deps.store.server(serverName);
  if (!state.grant) return { status: 'needs-login', reason: state.needsLogin?.reason ?? 'not logged in' };
  if (state.grant.mcpUrl !== mcpUrl) return { status: 'needs-login', reason: `its url changed from ${state.grant.mcpUrl}`, loggedInFor: state.grant.mcpUrl };
  // Stored before codex-auth refused such tokens: it cannot be sent, and must not stop a launch.
  if (!isSendableToken(state.grant.tokens.accessToken)) return { status: 'needs-login', reason: 'its stored token holds characters no HTTP header can carry' };
  return state.grant;
}

/**
 * The lock-free look on its own: the outcome when no refresh is due (fresh, or no usable
 * login), else undefined. Reads only the server's state file.
 */
export function settledWithoutRefresh(deps: Omit<FreshnessDeps, 'http'>, serverName: string, mcpUrl: string, policy: RefreshPolicy): Freshness | undefined {
  const seen = usableGrant(deps, serverName, mcpUrl);
  if ('status' in seen) return seen;
  return dueByExpiry(seen, deps.now(), policy) ? undefined : { status: 'fresh', grant: seen };
}

/**
 * Access tokens this process has already tried to refresh, by expiry and after a 401: each is
 * tried once per process, whatever the outcome.
 */
const triedByExpiry = new Set<string>();
const triedAfterRejection = new Set<string>();

function dueByExpiry(grant: Grant, now: number, policy: RefreshPolicy): boolean {
  return refreshDue(grant, now, policy) && !triedByExpiry.has(grant.tokens.accessToken);
}

/**
 * Makes the server's grant fresh for `policy`. `rejectedToken` (the token a server just answered
 * 401 to) is refreshed whatever its expiry says, once, unless another process has already
 * replaced it. A token another process obtained while this one waited for the lock is accepted.
 */
export async function ensureFresh(deps: FreshnessDeps, serverName: string, mcpUrl: string, policy: RefreshPolicy, rejectedToken?: string): Promise<Freshness> {
  const needsRefresh = (grant: Grant) => {
    const token = grant.tokens.accessToken;
    if (rejectedToken !== undefined) return token === rejectedToken && !triedAfterRejection.has(token);
    return dueByExpiry(grant, deps.now(), policy);
  };
  const seen = usableGrant(deps, serverName, mcpUrl);
  if ('status' in seen) return seen;
  if (!needsRefresh(seen)) return { status: 'fresh', grant: seen };
  const [{ withServerLock }, { refreshGrant }, { lostLogin }] = await Promise.all([
    import('../store/lock.ts'),
    import('../oauth/flow.ts'),
    import('../oauth/tokens.ts'),
  ]);
  const lockOptions = deps.lockWaitAtMostMs === undefined ? {} : { waitAtMostMs: deps.lockWaitAtMostMs };
  return withServerLock(deps.paths, serverName, async () => {
    const current = usableGrant(deps, serverName, mcpUrl);
    if ('status' in current) return current;
    const replaced = current.tokens.accessToken !== seen.tokens.accessToken;
    if ((replaced && !hasExpired(current, deps.now())) || !needsRefresh(current)) return { status: 'fresh', grant: current };
    const token = current.tokens.accessToken;
    (rejectedToken !== undefined ? triedAfterRejection : triedByExpiry).add(token);
    if (!canRenew(current)) {
      const unusable = rejectedToken !== undefined || hasExpired(current, deps.now());
      return unusable ? { status: 'needs-login', reason: 'its token expired and the server gave no refresh token' } : { status: 'fresh', grant: current };
    }
    try {
      const refreshed = await refreshGrant(current, { http: deps.http, now: deps.now });
      // Persist a rotated refresh token before anything else happens.
      deps.store.saveGrant(serverName, refreshed);
      // A token due the moment it arrives (a zero lifetime, a far-off clock) is used until the
      // server rejects it, instead of being refreshed on every request.
      if (refreshDue(refreshed, deps.now(), policy)) triedByExpiry.add(refreshed.tokens.accessToken);
      return { status: 'refreshed', grant: refreshed };
    } catch (error) {
      const lost = lostLogin(error);
      if (lost) {
        deps.store.dropGrant(serverName, lost.reason, deps.now(), lost.clientRejected ? current.client : undefined);
        return { status: 'needs-login', reason: lost.reason };
      }
      if (error instanceof CodexAuthError) return { status: 'stale', grant: current, error: error.forServer(serverName) };
      throw error;
    }
  }, lockOptions);
}
