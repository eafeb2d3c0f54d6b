// When a token is refreshed: the one rule that `run`, the session proxy and the header helper
// all follow. It depends on the token's own lifetime, so that a 10-minute token is not
// refreshed on every launch and a 24-hour token is not kept until its last second.
import type { Grant } from '../oauth/flow.ts';

/** What the token is wanted for, which decides how much life it must have left. */
export type TokenUse =
  /**
   * A request is about to go out (the session proxy, the header helper). Whoever sends it
   * can refresh again later, and after a 401, so a token is good until shortly before expiry.
   */
  | 'request'
  /**
   * `run` is launching Codex with the proxy or the header helper in front of the server: they
   * refresh on demand, so only a token that has already expired is refreshed before launch
   * (which also lets a person log in again there and then if the refresh is refused).
   */
  | 'launch'
  /**
   * The token goes into a launched program's environment, where nobody can refresh it later:
   * it is refreshed further ahead of expiry (the refresh margin).
   */
  | 'environment';

export interface RefreshPolicy {
  use: TokenUse;
  /** For `environment`: how far ahead of expiry, at most (setting refreshMarginMinutes). */
  environmentMarginMs?: number;
}

/** The most a request-time refresh looks ahead: covers clock skew and the request's own travel. */
export const REQUEST_MARGIN_MS = 60_000;
export const DEFAULT_ENVIRONMENT_MARGIN_MS = 15 * 60_000;
/**
 * A token is never refreshed while more than this share of its lifetime is left: a refreshed
 * token is good for three quarters of its life, whatever the margin.
 */
const REFRESH_IN_LAST_SHARE = 1 / 4;

function marginOf(policy: RefreshPolicy): number {
  if (policy.use === 'request') return REQUEST_MARGIN_MS;
  if (policy.use === 'environment') return policy.environmentMarginMs ?? DEFAULT_ENVIRONMENT_MARGIN_MS;
  return 0;
}

/**
 * True when the grant's access token should be refreshed now for this use.
 *
 * Known expiry (expires_in, else the JWT's exp): refreshed once the time left is at most the
 * use's margin AND at most a quarter of the token's lifetime; an expired token always.
 * Unknown expiry (neither): the server says when, with a 401, which the proxy and the header
 * helper answer with a refresh; a token going into an environment is renewed once it is older
 * than the environment margin, since nobody can renew it there later.
 */
export function refreshDue(grant: Grant, now: number, policy: RefreshPolicy): boolean {
  const { expiresAt } = grant.tokens;
  if (expiresAt === undefined) return policy.use === 'environment' && now - grant.obtainedAt >= marginOf(policy);
  const remaining = expiresAt - now;
  if (remaining <= 0) return true;
  const lifetime = Math.max(0, expiresAt - grant.obtainedAt);
  return remaining <= Math.min(marginOf(policy), lifetime * REFRESH_IN_LAST_SHARE);
}

/**
 * Whether a token can be renewed with nobody there: with its refresh token, or for a login with no
 * person by asking again the way it logged in.
 */
export function canRenew(grant: Grant): boolean {
  return grant.tokens.refreshToken !== undefined || grant.unattended !== undefined;
}

export function hasExpired(grant: Grant, now: number): boolean {
  return grant.tokens.expiresAt !== undefined && grant.tokens.expiresAt <= now;
}
