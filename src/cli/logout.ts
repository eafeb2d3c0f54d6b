// `codex-auth logout [name...]`: revoke at the server when it offers revocation
// (RFC 7009), then forget the tokens, the env line and the config rewrite.
import { existsSync } from 'node:fs';
import { readCodexConfig, resolveHeaders } from '../codex/config.ts';
import { unpatchEntries } from '../codex/apply.ts';
import { syncEnvFile } from '../codex/envfile.ts';
import { CodexAuthError } from '../errors.ts';
import { revokeGrant } from '../oauth/flow.ts';
import { withServerLock } from '../store/lock.ts';
import type { CliContext } from './context.ts';
import { httpClientFor } from './http-client.ts';

export async function runLogout(ctx: CliContext, options: { names: string[]; json: boolean }): Promise<number> {
  const known = ctx.store.knownServers();
  const names = options.names.length > 0 ? options.names : known.map((state) => state.serverName);
  const unknown = names.filter((name) => !known.some((state) => state.serverName === name));
  if (unknown.length > 0) {
    throw new CodexAuthError({
      kind: 'config',
      step: 'state',
      server: unknown[0],
      message: `codex-auth has no login for ${unknown.join(', ')}`,
      hint: 'see codex-auth status for what it knows',
    });
  }
  const config = existsSync(ctx.configPath) ? readCodexConfig(ctx.configPath) : undefined;
  const results: Array<{ server: string; revoked: boolean }> = [];
  for (const name of names) {
    let revoked = false;
    await withServerLock(ctx.paths, name, async () => {
      const grant = ctx.store.server(name).grant;
      if (grant) {
        const entry = config?.servers.find((server) => server.name === name);
        const http = httpClientFor(ctx, entry ? resolveHeaders(entry, ctx.env) : {});
        try {
          await revokeGrant(grant, { http });
          revoked = grant.authorizationServer.revocation_endpoint !== undefined;
        } catch (error) {
          const reason = error instanceof CodexAuthError ? error.message : String(error);
          ctx.out.warn(`${name}: the server did not confirm revocation (${reason}); forgetting the tokens anyway`);
        }
      }
      if (config) unpatchEntries(ctx.configPath, [name], ctx.store);
      ctx.store.forgetServer(name);
    });
    results.push({ server: name, revoked });
    ctx.out.success(`${name}: logged out${revoked ? ' (tokens revoked at the server)' : ''}`);
  }
  syncEnvFile(ctx.store);
  if (options.json) ctx.out.printJson(results);
  return 0;
}
