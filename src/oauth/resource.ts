// The RFC 8707 `resource` value, and whether published metadata really
// describes the MCP server we are talking to (RFC 9728 §3.3, §7.3).
import { CodexAuthError } from '../errors.ts';
import type { ProtectedResourceInfo } from './discovery.ts';
import { parseUrl } from './http.ts';

/** Lowercase scheme and host, no fragment, no trailing slash unless the path is more than "/". */
export function canonicalResourceUrl(url: URL): string {
  const copy = new URL(url.href); // URL already lower-cases scheme and host and drops default ports
  copy.hash = '';
  const text = copy.href;
  return copy.pathname === '/' && copy.search === '' ? text.slice(0, -1) : text;
}

/** The user's override, else the resource exactly as the server published it, else the canonical MCP URL. */
export function selectResource(input: { override?: string; protectedResource?: ProtectedResourceInfo; mcpUrl: URL }): string {
  const override = input.override?.trim();
  if (override) {
    const parsed = parseUrl(override);
    if (!parsed || parsed.hash !== '') {
      throw new CodexAuthError({
        kind: 'config',
        step: 'config',
        message: `The resource override "${override}" is not an absolute URL without a fragment.`,
        hint: 'Set oauth_resource to the resource identifier the server expects, e.g. https://mcp.example.com/mcp.',
      });
    }
    return override;
  }
  return input.protectedResource?.resource ?? canonicalResourceUrl(input.mcpUrl);
}

/**
 * Whether a published `resource` identifies the MCP URL: same origin, and its
 * path is the MCP URL's path or a parent of it on a segment boundary. A server
 * at https://host/mcp may name itself https://host (MCP servers do, and
 * the MCP SDKs accept it); https://other or https://host/mc never match.
 */
export function resourceCoversUrl(resource: string, mcpUrl: URL): boolean {
  const parsed = parseUrl(resource);
  if (!parsed || parsed.hash !== '' || parsed.origin !== mcpUrl.origin) return false;
  const base = withoutTrailingSlash(parsed.pathname);
  const path = withoutTrailingSlash(mcpUrl.pathname);
  return path === base || path.startsWith(`${base}/`);
}

function withoutTrailingSlash(path: string): string {
  return path.endsWith('/') ? path.slice(0, -1) : path;
}
