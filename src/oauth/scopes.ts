// Which scopes to ask for (MCP 2025-11-25 "Scope Selection Strategy", and
// the draft's refresh-token guidance for offline_access, SEP-2207), and how
// to read a scope string a server or a person wrote.
import type { AuthorizationServer } from 'oauth4webapi';
import type { ProtectedResourceInfo } from './discovery.ts';

export const OFFLINE_ACCESS = 'offline_access';

/**
 * A scope list as servers really write it: RFC 6749 §3.3 says space-delimited,
 * GitHub answers "repo,read:org", a person types either. Commas and whitespace
 * both separate; an empty string is an empty list (GitHub Apps grant "").
 */
export function parseScopeList(text: string): string[] {
  return [...new Set(text.split(/[\s,]+/).filter(Boolean))];
}

/**
 * explicit > challenge > PRM scopes_supported > omit (undefined). An empty
 * scopes_supported means omit. offline_access is asked for in a challenge or
 * PRM selection only when the authorization server lists it (SEP-2207: a
 * server that does not list it may refuse it); explicit scopes are the user's
 * decision and are sent as given. A grant that never returns a refresh token (client
 * credentials) asks for no offline_access in a selection (`refreshTokens: false`).
 */
export function selectScopes(input: {
  explicit?: string[];
  challenge?: string[];
  protectedResource?: ProtectedResourceInfo;
  authorizationServer?: AuthorizationServer;
  refreshTokens?: boolean;
}): string[] | undefined {
  if (input.explicit && input.explicit.length > 0) return unionScopes(input.explicit, undefined);
  const chosen = firstNonEmpty(input.challenge, input.protectedResource?.scopesSupported);
  if (!chosen) return undefined;
  const offered = input.authorizationServer?.scopes_supported ?? [];
  if (input.refreshTokens !== false && offered.includes(OFFLINE_ACCESS)) return unionScopes(chosen, [OFFLINE_ACCESS]);
  const withoutOffline = chosen.filter((scope) => scope !== OFFLINE_ACCESS);
  return withoutOffline.length > 0 ? unionScopes(withoutOffline, undefined) : undefined;
}

/** Order-preserving union without duplicates (step-up: granted plus challenged). */
export function unionScopes(a: string[] | undefined, b: string[] | undefined): string[] {
  return [...new Set([...(a ?? []), ...(b ?? [])].filter(Boolean))];
}

function firstNonEmpty(...lists: (string[] | undefined)[]): string[] | undefined {
  return lists.find((list) => list !== undefined && list.length > 0);
}
