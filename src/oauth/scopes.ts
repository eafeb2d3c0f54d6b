// Which scopes to ask for (MCP 2025-11-25 "Scope Selection Strategy", and
// the draft's refresh-token guidance for offline_access, SEP-2207).
import type { AuthorizationServer } from 'oauth4webapi';
import type { ProtectedResourceInfo } from './discovery.ts';

const OFFLINE_ACCESS = 'offline_access';

/**
 * explicit > challenge > PRM scopes_supported > omit (undefined). An empty
 * scopes_supported means omit. offline_access is added to a challenge or PRM
 * selection when the authorization server lists it; explicit scopes are the
 * user's decision and are sent as given.
 */
export function selectScopes(input: {
  explicit?: string[];
  challenge?: string[];
  protectedResource?: ProtectedResourceInfo;
  authorizationServer?: AuthorizationServer;
}): string[] | undefined {
  if (input.explicit && input.explicit.length > 0) return unionScopes(input.explicit, undefined);
  const chosen = firstNonEmpty(input.challenge, input.protectedResource?.scopesSupported);
  if (!chosen) return undefined;
  const offered = input.authorizationServer?.scopes_supported ?? [];
  return offered.includes(OFFLINE_ACCESS) ? unionScopes(chosen, [OFFLINE_ACCESS]) : unionScopes(chosen, undefined);
}

/** Order-preserving union without duplicates (step-up: granted plus challenged). */
export function unionScopes(a: string[] | undefined, b: string[] | undefined): string[] {
  return [...new Set([...(a ?? []), ...(b ?? [])].filter(Boolean))];
}

function firstNonEmpty(...lists: (string[] | undefined)[]): string[] | undefined {
  return lists.find((list) => list !== undefined && list.length > 0);
}
