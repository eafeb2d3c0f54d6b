// Asks the MCP server whether it still accepts a token, with a request that changes nothing: a
// JSON-RPC ping outside any session. Servers check the token before they look at the session, so
// a 401 (or a 403 that is not about scope) means the token was rejected, and anything else,
// an error included, that it was not. Used only when Codex may be retrying after a rejection.
import { bearerChallenge } from '../oauth/challenge.ts';
import { send, type HttpClient } from '../oauth/http.ts';

const PING = JSON.stringify({ jsonrpc: '2.0', id: 'codex-auth-token-check', method: 'ping' });

export async function serverRejectsToken(mcpUrl: string, token: string, http: HttpClient): Promise<boolean> {
  const headers = new Headers(http.headers);
  headers.set('authorization', `Bearer ${token}`);
  headers.set('content-type', 'application/json');
  headers.set('accept', 'application/json, text/event-stream');
  try {
    const response = await send(http, 'headers', mcpUrl, { method: 'POST', headers, body: PING }, { discardBody: true });
    if (response.status === 401) return true;
    if (response.status !== 403) return false;
    return bearerChallenge(response.headers.get('www-authenticate'))?.params.error !== 'insufficient_scope';
  } catch {
    return false;
  }
}
