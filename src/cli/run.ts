// `codex-auth run [--] [command [args...]]`: make every logged-in server's token
// fresh, keep the config rewrite and env file in place, then launch the command
// (default: the real codex) with the tokens in its environment. This is behind
// every codex launch, so what only some runs need (refresh, login, rewrite,
// proxy) is imported when it is needed.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readCodexConfig, resolveHeaders, type CodexConfig, type McpServerEntry } from '../codex/config.ts';
import { syncEnvFile } from '../codex/envfile.ts';
import { isCodexCommand, launch, resolveCommand } from '../codex/launch.ts';
import { CodexAuthError } from '../errors.ts';
import type { Grant } from '../oauth/flow.ts';
import { ensureFresh, settledWithoutRefresh, type Freshness } from '../session/fresh.ts';
import { hasExpired, type RefreshPolicy } from '../session/policy.ts';
import type { StepUp } from '../session/routes.ts';
import type { ServerState } from '../store/state.ts';
import type { CliContext } from './context.ts';

export interface RunOptions {
  command: string[];
  strict: boolean;
  /** How far ahead of expiry a token handed to the command's environment is refreshed, at most. */
  refreshMarginMs: number;
  /** Allow an interactive login for servers that need one, when a person and a browser are there. */
  interactiveLogin: boolean;
  /** Route MCP traffic through the session proxy, so tokens stay fresh for the whole session. */
  proxy: boolean;
  selfPaths: string[];
}

interface ServerOutcome {
  entry: McpServerEntry;
  freshness: Freshness;
}

function loadConfig(ctx: CliContext): CodexConfig | undefined {
  if (!existsSync(ctx.configPath)) return undefined;
  return readCodexConfig(ctx.configPath);
}

/** Servers codex-auth looks after: remote entries it has state for. */
function managedEntries(ctx: CliContext, config: CodexConfig): McpServerEntry[] {
  const known = new Set(ctx.store.knownServers().map((state) => state.serverName));
  return config.servers.filter((entry) => entry.kind === 'remote' && entry.enabled && known.has(entry.name));
}

async function refreshAll(ctx: CliContext, entries: McpServerEntry[], policyFor: (entry: McpServerEntry) => RefreshPolicy): Promise<ServerOutcome[]> {
  return Promise.all(
    entries.map(async (entry) => {
      const deps = { store: ctx.store, paths: ctx.paths, now: ctx.now };
      const policy = policyFor(entry);
      const settled = settledWithoutRefresh(deps, entry.name, entry.url!, policy);
      if (settled) return { entry, freshness: settled };
      const { httpClientFor } = await import('./http-client.ts');
      const freshness = await ensureFresh({ ...deps, http: httpClientFor(ctx, resolveHeaders(entry, ctx.env)) }, entry.name, entry.url!, policy);
      return { entry, freshness };
    }),
  );
}

/** The variable Codex reads the per-run proxy secret from (never an OAuth token). */
export const PROXY_SECRET_VARIABLE = 'CODEX_AUTH_PROXY_TOKEN';

/** Loaded only on the paths that may open a browser: the opener pulls in the OAuth engine. */
async function hasBrowser(env: NodeJS.ProcessEnv): Promise<boolean> {
  return (await import('../ui/browser.ts')).canOpenBrowser(env);
}

async function canLogInInteractively(ctx: CliContext): Promise<boolean> {
  return Boolean(ctx.streams.stdin.isTTY) && Boolean(ctx.streams.stderr.isTTY) && (await hasBrowser(ctx.env));
}

async function handleMissingLogins(ctx: CliContext, missing: ServerOutcome[], options: RunOptions): Promise<void> {
  const names = missing.map(({ entry }) => entry.name);
  if (options.interactiveLogin && (await canLogInInteractively(ctx))) {
    ctx.out.info(`Logging in to ${names.join(', ')} before starting…`);
    try {
      const { runLogin } = await import('./login.ts');
      await runLogin(ctx, { names, browser: true, force: false, device: false, json: false });
      return;
    } catch (error) {
      if (!(error instanceof CodexAuthError) || options.strict) throw error;
      ctx.out.error(error);
    }
  }
  for (const { entry, freshness } of missing) {
    const reason = freshness.status === 'needs-login' ? freshness.reason : 'login needed';
    if (options.strict) {
      throw new CodexAuthError({ kind: 'notLoggedIn', step: 'refresh', server: entry.name, message: `${reason}`, hint: `codex-auth login ${entry.name}` });
    }
    ctx.out.warn(`${entry.name}: ${reason}; Codex will start without it. Fix: codex-auth login ${entry.name}`);
  }
}

/** Re-applies the rewrite for logged-in entries whose config lost it (an edit, not `unpatch`, which forgets the record). */
async function restoreLostRewrites(ctx: CliContext, config: CodexConfig, grants: Grant[], states: Map<string, ServerState>): Promise<void> {
  const lost = grants.filter((grant) => {
    const entry = config.servers.find((server) => server.name === grant.serverName);
    const recorded = states.get(grant.serverName)?.rewrite;
    return entry !== undefined && recorded !== undefined && entry.bearerTokenEnvVar !== recorded.varName;
  });
  if (lost.length === 0) return;
  const { rewriteEntries } = await import('../codex/apply.ts');
  for (const outcome of rewriteEntries(ctx.configPath, lost.map((grant) => grant.serverName), ctx.store, { force: false, now: ctx.now() })) {
    if (outcome.status === 'kept-user-setting') ctx.out.warn(`${outcome.serverName}: your own bearer_token_env_var (${outcome.userVar}) is in place; codex-auth leaves it alone`);
  }
}

/** Servers Codex should reach with a token: logged in and pointed at codex-auth's variable. */
function managedVariables(grants: Grant[], states: Map<string, ServerState>): Array<{ grant: Grant; varName: string }> {
  return grants.flatMap((grant) => {
    const varName = states.get(grant.serverName)?.rewrite?.varName;
    return varName ? [{ grant, varName }] : [];
  });
}

function tokenEnvironment(managed: Array<{ grant: Grant; varName: string }>): Record<string, string> {
  return Object.fromEntries(managed.map(({ grant, varName }) => [varName, grant.tokens.accessToken]));
}

/** `-c` splits keys on every dot, so only names without one can be pointed at the proxy. */
function proxiable(serverName: string): boolean {
  return /^[A-Za-z0-9_-]+$/.test(serverName);
}

async function launchThroughProxy(ctx: CliContext, config: CodexConfig, managed: Array<{ grant: Grant; varName: string }>, file: string, args: string[]): Promise<number> {
  const viaProxy = managed.filter(({ grant }) => proxiable(grant.serverName));
  const direct = managed.filter(({ grant }) => !proxiable(grant.serverName));
  for (const { grant } of direct) ctx.out.warn(`${grant.serverName}: its name contains characters Codex's -c cannot address; it gets a static token instead of the proxy`);
  const [{ startProxy }, { createRoute }, { httpClientFor }] = await Promise.all([
    import('../codex/proxy.ts'),
    import('../session/routes.ts'),
    import('./http-client.ts'),
  ]);
  const reauthorize = async (serverName: string, stepUp: StepUp) => {
    const entry = config.servers.find((server) => server.name === serverName);
    if (!entry || !(await hasBrowser(ctx.env))) return undefined;
    const { loginServer } = await import('./login.ts');
    const grant = await loginServer(ctx, config, entry, { names: [serverName], browser: true, force: true, device: false, json: false, stepUp }, undefined);
    syncEnvFile(ctx.store);
    return grant;
  };
  const routes = viaProxy.map(({ grant }) => {
    const entry = config.servers.find((server) => server.name === grant.serverName);
    const http = httpClientFor(ctx, entry ? resolveHeaders(entry, ctx.env) : {});
    return createRoute({ store: ctx.store, paths: ctx.paths, http, now: ctx.now, reauthorize, warn: (message) => ctx.out.warn(message) }, grant.serverName, grant.mcpUrl);
  });
  const secret = randomBytes(32).toString('base64url');
  const proxy = await startProxy({ routes, secret, log: (line) => ctx.out.debug(`proxy: ${line}`) });
  const overrides = viaProxy.flatMap(({ grant }) => [
    '-c',
    `mcp_servers.${grant.serverName}.url=${JSON.stringify(proxy.urlFor(grant.serverName))}`,
    '-c',
    `mcp_servers.${grant.serverName}.bearer_token_env_var="${PROXY_SECRET_VARIABLE}"`,
  ]);
  // No OAuth token in Codex's environment, not even one inherited from a sourced env file.
  const env = Object.fromEntries(Object.entries(ctx.env).filter(([name]) => !managed.some((item) => item.varName === name)));
  Object.assign(env, tokenEnvironment(direct), { [PROXY_SECRET_VARIABLE]: secret });
  ctx.out.debug(`proxy on 127.0.0.1:${proxy.port} for ${viaProxy.map(({ grant }) => grant.serverName).join(', ')}`);
  try {
    return await launch({ file, args: [...overrides, ...args], env, stdinIsTTY: Boolean(ctx.streams.stdin.isTTY) });
  } finally {
    await proxy.close();
  }
}

export async function runRun(ctx: CliContext, options: RunOptions): Promise<number> {
  const [command = 'codex', ...args] = options.command;
  const file = resolveCommand(command, ctx.env, options.selfPaths);
  const config = loadConfig(ctx);
  const viaProxy = options.proxy && isCodexCommand(command, ctx.env);
  // The proxy refreshes on demand; a token handed to the command's environment must last.
  const policyFor = (entry: McpServerEntry): RefreshPolicy =>
    viaProxy && proxiable(entry.name) ? { use: 'launch' } : { use: 'environment', environmentMarginMs: options.refreshMarginMs };
  let managed: Array<{ grant: Grant; varName: string }> = [];
  let current = config;
  if (config) {
    let outcomes = await refreshAll(ctx, managedEntries(ctx, config), policyFor);
    const missing = outcomes.filter(({ freshness }) => freshness.status === 'needs-login');
    if (missing.length > 0) {
      await handleMissingLogins(ctx, missing, options);
      outcomes = await refreshAll(ctx, managedEntries(ctx, config), policyFor);
    }
    for (const { entry, freshness } of outcomes) {
      if (freshness.status !== 'stale') continue;
      // --strict promises a working login; an expired token that could not be refreshed is not one.
      if (options.strict && hasExpired(freshness.grant, ctx.now())) throw freshness.error;
      ctx.out.warn(`${entry.name}: could not refresh (${freshness.error.message}); using the current token`);
    }
    const grants = outcomes.flatMap(({ freshness }) => ('grant' in freshness ? [freshness.grant] : []));
    current = missing.length > 0 ? readCodexConfig(ctx.configPath) : config;
    // One read of the state files after refreshes and logins serves the rewrite check, the
    // variables and the env file (a restored rewrite keeps its variable name).
    const states = ctx.store.knownServers();
    const byName = new Map(states.map((state) => [state.serverName, state]));
    await restoreLostRewrites(ctx, current, grants, byName);
    syncEnvFile(ctx.store, states);
    managed = managedVariables(grants, byName);
  }
  if (current && viaProxy && managed.length > 0) {
    return launchThroughProxy(ctx, current, managed, file, args);
  }
  ctx.out.debug(`launching ${file} with ${managed.length} server token(s) in its environment`);
  return launch({ file, args, env: { ...ctx.env, ...tokenEnvironment(managed) }, stdinIsTTY: Boolean(ctx.streams.stdin.isTTY) });
}
