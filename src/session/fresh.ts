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

export type Freshness =
  | { status: 'fresh' | 'refreshed'; grant: Grant }
  | { status: 'needs-login'; reason: string }
  | { status: 'stale'; grant: Grant; error: CodexAuthError };

export interface FreshnessDeps {
  store: StateStore;
  paths: StatePaths;
  http: HttpClient;
  now: () => number;
}

/** How close to expiry a token may get: a fixed margin, or one that depends on the token's lifetime. */
export type RefreshMargin = number | ((grant: Grant) => number);

/** A grant is usable without refresh while its known expiry is beyond the margin. */
export function isFresh(grant: Grant, now: number, margin: RefreshMargin): boolean {
  const marginMs = typeof margin === 'number' ? margin : margin(grant);
  const { expiresAt } = grant.tokens;
  if (expiresAt !== undefined) return expiresAt - now > marginMs;
  // Unknown lifetime: trust it for one margin after it was obtained, then refresh on the safe side.
  return now - grant.obtainedAt < marginMs || grant.tokens.refreshToken === undefined;
}

function usableGrant(deps: Omit<FreshnessDeps, 'http'>, serverName: string, mcpUrl: string): Grant | Freshness {
  const state = deps.store.server(serverName);
  if (!state.grant) return { status: 'needs-login', reason: state.needsLogin?.reason ?? 'not logged in' };
  if (state.grant.mcpUrl !== mcpUrl) return { status: 'needs-login', reason: `its url changed from ${state.grant.mcpUrl}` };
  return state.grant;
}

/**
 * The lock-free look on its own: the outcome when no refresh is due (fresh, or no usable
 * login), else undefined. Reads only the server's state file.
 */
export function settledWithoutRefresh(deps: Omit<FreshnessDeps, 'http'>, serverName: string, mcpUrl: string, marginMs: RefreshMargin): Freshness | undefined {
  const seen = usableGrant(deps, serverName, mcpUrl);
  if ('status' in seen) return seen;
  return isFresh(seen, deps.now(), marginMs) ? { status: 'fresh', grant: seen } : undefined;
}

/**
 * Makes the server's grant fresh. `rejectedToken` (the token a server just answered 401 to)
 * forces a refresh unless another process has already replaced that token.
 */
export async function ensureFresh(deps: FreshnessDeps, serverName: string, mcpUrl: string, marginMs: RefreshMargin, rejectedToken?: string): Promise<Freshness> {
  const needsRefresh = (grant: Grant) => (rejectedToken !== undefined ? grant.tokens.accessToken === rejectedToken : !isFresh(grant, deps.now(), marginMs));
  const seen = usableGrant(deps, serverName, mcpUrl);
  if ('status' in seen) return seen;
  if (!needsRefresh(seen)) return { status: 'fresh', grant: seen };
  const [{ withServerLock }, { refreshGrant }, { isInvalidGrant }] = await Promise.all([
    import('../store/lock.ts'),
    import('../oauth/flow.ts'),
    import('../oauth/tokens.ts'),
  ]);
  return withServerLock(deps.paths, serverName, async () => {
    const current = usableGrant(deps, serverName, mcpUrl);
    if ('status' in current) return current;
    if (!needsRefresh(current)) return { status: 'fresh', grant: current };
    if (!current.tokens.refreshToken) {
      const expired = rejectedToken !== undefined || (current.tokens.expiresAt ?? 0) <= deps.now();
      return expired ? { status: 'needs-login', reason: 'its token expired and the server gave no refresh token' } : { status: 'fresh', grant: current };
    }
    try {
      const refreshed = await refreshGrant(current, { http: deps.http, now: deps.now });
      // Persist a rotated refresh token before anything else happens.
      deps.store.saveGrant(serverName, refreshed);
      return { status: 'refreshed', grant: refreshed };
    } catch (error) {
      if (isInvalidGrant(error)) {
        deps.store.dropGrant(serverName, 'the server rejected the refresh token (invalid_grant)', deps.now());
        return { status: 'needs-login', reason: 'the server rejected the refresh token (invalid_grant)' };
      }
      if (error instanceof CodexAuthError) return { status: 'stale', grant: current, error: error.forServer(serverName) };
      throw error;
    }
  });
}
