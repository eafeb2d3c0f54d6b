// `codex-auth logout [name...]`: revoke at the server when it offers revocation
// (RFC 7009), then forget the tokens, the env line and the config rewrite. Several
// servers: a failing one does not stop the others. A damaged state file is removed.
import { existsSync } from 'node:fs';
import { readCodexConfig, resolveHeaders } from '../codex/config.ts';
import { appendedTableNote, unpatchEntries } from '../codex/apply.ts';
import { withLayers, type LayeredCodexConfig } from '../codex/layers.ts';
import { syncEnvFile } from '../codex/envfile.ts';
import { CodexAuthError } from '../errors.ts';
import { revokeGrant } from '../oauth/flow.ts';
import { redactUrl } from '../oauth/http.ts';
import { withServerLock } from '../store/lock.ts';
import { batchExitCode, eachServer, isFailure, printSummary, unknownServerError } from './batch.ts';
import type { CliContext } from './context.ts';
import { httpClientFor } from './http-client.ts';

interface LogoutResult {
  server: string;
  status: 'logged-out' | 'not-logged-in' | 'removed-damaged-state';
  revoked: boolean;
  /** The project file the entry comes from here, for a trusted project's server. */
  source?: string;
}

async function logoutOne(ctx: CliContext, config: LayeredCodexConfig | undefined, name: string): Promise<LogoutResult> {
  const source = config?.servers.find((entry) => entry.name === name && entry.source !== config.path)?.source;
  const result = await logoutEntry(ctx, config, name);
  if (!source) return result;
  ctx.out.info(`  from: ${source}`);
  return { ...result, source };
}

async function logoutEntry(ctx: CliContext, config: LayeredCodexConfig | undefined, name: string): Promise<LogoutResult> {
  const damaged = ctx.store.damagedFile(name);
  if (damaged) {
    // Its tokens cannot be read, so they cannot be revoked; the file only stands in the way.
    await withServerLock(ctx.paths, name, async () => ctx.store.forgetServer(name));
    ctx.out.success(`${name}: removed the damaged state file ${damaged}; the server was not asked to revoke its tokens`);
    return { server: name, status: 'removed-damaged-state', revoked: false };
  }
  if (!ctx.store.knownServers().some((state) => state.serverName === name)) {
    if (!config?.servers.some((entry) => entry.name === name)) throw unknownServerError(name);
    ctx.out.info(`${ctx.out.color.dim('-')} ${name}: not logged in, nothing to log out`);
    return { server: name, status: 'not-logged-in', revoked: false };
  }
  let revoked = false;
  let tableNote = '';
  await withServerLock(ctx.paths, name, async () => {
    const grant = ctx.store.server(name).grant;
    if (grant) {
      const entry = config?.servers.find((server) => server.name === name);
      const http = httpClientFor(ctx, entry ? resolveHeaders(entry, ctx.env) : {});
      const endpoint = grant.authorizationServer.revocation_endpoint;
      // The one network wait of a logout: say where it is.
      if (endpoint !== undefined) ctx.out.progress(name, 'revocation', redactUrl(endpoint));
      try {
        await revokeGrant(grant, { http });
        revoked = grant.authorizationServer.revocation_endpoint !== undefined;
      } catch (error) {
        const reason = (error instanceof CodexAuthError ? error.message : String(error)).replace(/\.$/, '');
        ctx.out.warn(`${name}: the server did not confirm revocation (${reason}); forgetting the tokens anyway`);
      }
    }
    if (config) tableNote = appendedTableNote(unpatchEntries(ctx.configPath, [name], ctx.store), name);
    ctx.store.forgetServer(name);
  });
  ctx.out.success(`${name}: logged out${revoked ? ' (tokens revoked at the server)' : ''}${tableNote}`);
  return { server: name, status: 'logged-out', revoked };
}

export async function runLogout(ctx: CliContext, options: { names: string[]; json: boolean }): Promise<number> {
  // Logging out of everything also clears damaged state files, as logging out of one does.
  const names = options.names.length > 0 ? options.names : [...ctx.store.knownServers().map((state) => state.serverName), ...ctx.store.damagedServers()];
  if (names.length === 0) {
    ctx.out.info('Not logged in to any server: nothing to log out.');
    if (options.json) ctx.out.printJson({ ok: true, servers: [] });
    return 0;
  }
  const user = existsSync(ctx.configPath) ? readCodexConfig(ctx.configPath) : undefined;
  // The entries as Codex reads them here: a trusted project's server is named, and its headers count.
  const config = user && withLayers(user, process.cwd());
  const results = await eachServer(ctx, names, (name) => logoutOne(ctx, config, name));
  syncEnvFile(ctx.store, config);
  printSummary(ctx, results, 'logged out');
  if (options.json) ctx.out.printJson({ ok: !results.some(isFailure), servers: results });
  return batchExitCode(results);
}
