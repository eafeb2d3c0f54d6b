// `codex-auth run [--] [command [args...]]`: launch the command (default: the real codex) so that
// it reaches every logged-in MCP server with a valid token. How, depends on what is launched:
//  - a Codex that runs http_headers_helper (0.152 and later): config.toml's helper hands Codex fresh
//    tokens itself. The TUI starts exactly as if launched directly (no -c, no token in its
//    environment), so it keeps Codex's shared background server. `codex exec` runs MCP in its own
//    process, where overrides are harmless: it gets the session proxy, which can also step up
//    after 403 insufficient_scope (a helper cannot).
//  - an older Codex: the session proxy through per-launch `-c` overrides, or with --no-proxy the
//    token in its environment.
//  - any other command: the tokens in its environment, as CODEX_AUTH_<NAME>_TOKEN.
//  - Codex's own commands that need no token (`codex mcp list`, `--version`, `login`, ...) pass
//    through untouched; `codex mcp login|logout <name>` run codex-auth's own login and logout.
// This is behind every codex launch, so what only some runs need (refresh, login, rewrite,
// proxy) is imported when it is needed.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { currentWiring, isWiredAs, userSetting } from '../codex/wiring.ts';
import { readCodexConfig, resolveHeaders, type CodexConfig, type McpServerEntry } from '../codex/config.ts';
import { readEnvFile, syncEnvFile } from '../codex/envfile.ts';
import { withLayers, type LayeredCodexConfig } from '../codex/layers.ts';
import { isProjectSource, projectUrlRefusal } from '../codex/project-url.ts';
import { classifyCodexArgs, type CodexInvocation } from '../codex/invocation.ts';
import { isCodexCommand, launch, resolveCommand } from '../codex/launch.ts';
import { codexVersion, hasFeature } from '../codex/versions.ts';
import { CodexAuthError } from '../errors.ts';
import { shellCommand } from '../shell.ts';
import type { Grant } from '../oauth/flow.ts';
import { ensureFresh, settledWithoutRefresh, type Freshness } from '../session/fresh.ts';
import { canRenew, hasExpired, refreshDue, type RefreshPolicy } from '../session/policy.ts';
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
  /** Put the session proxy in front where per-launch overrides are harmless (older Codex, codex exec). */
  proxy: boolean;
}

/**
 * How this launch reaches a server: Codex runs the helper itself, the session proxy sits in
 * front, or the token goes into the command's environment.
 */
type Route = 'helper' | 'proxy' | 'environment';

interface Launching {
  file: string;
  args: string[];
  isCodex: boolean;
  /** Codex runs http_headers_helper (always false for other commands). */
  helperCapable: boolean;
  /** A Codex that runs http_headers_helper but refuses the Authorization it returns. */
  runsHelperButRefusesIt: boolean;
  version: string | undefined;
  invocation: CodexInvocation | undefined;
}

interface ServerOutcome {
  entry: McpServerEntry;
  freshness: Freshness;
}

/** A logged-in server and how this launch reaches it. */
interface Managed {
  grant: Grant;
  state: ServerState;
  entry: McpServerEntry;
  route: Route;
}

/** The variable Codex reads the per-run proxy secret from (never an OAuth token). */
export const PROXY_SECRET_VARIABLE = 'CODEX_AUTH_PROXY_TOKEN';

/** config.toml with the trusted project's layers over it: the entries as Codex reads them where it starts (run's directory). */
function readAsCodexDoes(ctx: CliContext): LayeredCodexConfig {
  return withLayers(readCodexConfig(ctx.configPath), process.cwd());
}

function loadConfig(ctx: CliContext): LayeredCodexConfig | undefined {
  if (!existsSync(ctx.configPath)) return undefined;
  return readAsCodexDoes(ctx);
}

/**
 * Logins a trusted project's file has given another url since (issue 18): Codex would send
 * the token to that url here, so it starts without it, and the person is told what changed
 * (never a login on the way: the new url may be a hostile one). With --strict, a failure.
 */
function refuseProjectUrls(ctx: CliContext, config: LayeredCodexConfig, missing: ServerOutcome[], strict: boolean): ServerOutcome[] {
  return missing.filter(({ entry, freshness }) => {
    const source = config.servers.find((server) => server.name === entry.name)?.source;
    if (freshness.status !== 'needs-login' || freshness.loggedInFor === undefined || !isProjectSource(source, config.path)) return true;
    const refusal = projectUrlRefusal(entry.name, entry.url!, source, freshness.loggedInFor, 'refresh');
    if (strict) throw refusal;
    ctx.out.warn(`${entry.name}: ${refusal.message}; Codex will start without it. Fix: ${refusal.hint}`);
    return false;
  });
}

/**
 * The remote, enabled entries by what codex-auth knows of them: `managed` (a login, or one that
 * needs renewing), `open` (login found them answering without authorization), and `unchecked`
 * (never logged in; entries with the user's own authentication are theirs, not unchecked).
 */
function entriesByState(ctx: CliContext, config: CodexConfig) {
  const states = new Map(ctx.store.knownServers().map((state) => [state.serverName, state]));
  const damaged = new Set(ctx.store.damagedServers());
  const remote = config.servers.filter((entry) => entry.kind === 'remote' && entry.enabled);
  const isOpen = (entry: McpServerEntry) => states.get(entry.name)?.open !== undefined && !states.get(entry.name)?.grant;
  return {
    managed: remote.filter((entry) => states.has(entry.name) && !isOpen(entry)),
    open: remote.filter(isOpen),
    unchecked: remote.filter((entry) => !states.has(entry.name) && !damaged.has(entry.name) && !userSetting(entry, undefined)),
  };
}

/**
 * Remote servers codex-auth never logged in to: `--strict` asks each whether it needs
 * authorization (exit 11 if one does); a plain run says once per server how to log in, without
 * a network request on the way to Codex.
 */
async function checkUnloggedServers(ctx: CliContext, unchecked: McpServerEntry[], strict: boolean): Promise<void> {
  if (!strict) {
    for (const entry of unchecked) ctx.out.warn(`${entry.name}: codex-auth has not logged in to it; if it needs authorization: ${shellCommand(['codex-auth', 'login', entry.name])}`);
    return;
  }
  const [{ needsAuthorization }, { httpClientFor }] = await Promise.all([import('../oauth/flow.ts'), import('./http-client.ts')]);
  for (const entry of unchecked) {
    let needed: boolean;
    try {
      needed = await needsAuthorization(entry.url!, httpClientFor(ctx, resolveHeaders(entry, ctx.env)));
    } catch (error) {
      throw error instanceof CodexAuthError ? error.forServer(entry.name) : error;
    }
    if (needed) throw new CodexAuthError({ kind: 'notLoggedIn', step: 'probe', server: entry.name, message: 'it needs authorization and codex-auth has not logged in to it', hint: shellCommand(['codex-auth', 'login', entry.name]) });
    ctx.store.markOpen(entry.name, ctx.now());
  }
}

/** What replaces the helper for a Codex that refuses its Authorization: an empty set of headers. */
const NO_HEADERS_HELPER = 'echo {}';

/** `-c` splits keys on every dot, so only names without one can be given per-launch overrides. */
function overridable(serverName: string): boolean {
  return /^[A-Za-z0-9_-]+$/.test(serverName);
}

/** The route a server would take, before looking at how its entry is wired right now. */
function preferredRoute(launching: Launching, entry: McpServerEntry, proxy: boolean): Route {
  if (!launching.isCodex) return 'environment';
  const proxied = proxy && overridable(entry.name);
  if (launching.invocation?.kind === 'in-process' && proxied) return 'proxy';
  if (launching.helperCapable) return 'helper';
  return proxied ? 'proxy' : 'environment';
}

/** A token near its end (by the environment margin) that nothing can renew: the person should know before Codex starts. */
function cannotLastTheSession(grant: Grant, now: number, options: RunOptions): boolean {
  return !canRenew(grant) && grant.tokens.expiresAt !== undefined && refreshDue(grant, now, { use: 'environment', environmentMarginMs: options.refreshMarginMs });
}

function policyFor(route: Route, options: RunOptions): RefreshPolicy {
  // The proxy and the helper refresh on demand; a token handed to an environment must last.
  return route === 'environment' ? { use: 'environment', environmentMarginMs: options.refreshMarginMs } : { use: 'launch' };
}

async function refreshAll(ctx: CliContext, entries: McpServerEntry[], policyOf: (entry: McpServerEntry) => RefreshPolicy): Promise<ServerOutcome[]> {
  return Promise.all(
    entries.map(async (entry) => {
      const deps = { store: ctx.store, paths: ctx.paths, now: ctx.now };
      const policy = policyOf(entry);
      const settled = settledWithoutRefresh(deps, entry.name, entry.url!, policy);
      if (settled) return { entry, freshness: settled };
      const { httpClientFor } = await import('./http-client.ts');
      const freshness = await ensureFresh({ ...deps, http: httpClientFor(ctx, resolveHeaders(entry, ctx.env)) }, entry.name, entry.url!, policy);
      return { entry, freshness };
    }),
  );
}

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
      if ((await runLogin(ctx, { names, browser: true, force: false, device: false, json: false })) === 0) return;
    } catch (error) {
      if (!(error instanceof CodexAuthError) || options.strict) throw error;
      ctx.out.error(error);
    }
  }
  for (const { entry, freshness } of missing) {
    const reason = freshness.status === 'needs-login' ? freshness.reason : 'login needed';
    if (options.strict) {
      throw new CodexAuthError({ kind: 'notLoggedIn', step: 'refresh', server: entry.name, message: `${reason}`, hint: shellCommand(['codex-auth', 'login', entry.name]) });
    }
    ctx.out.warn(`${entry.name}: ${reason}; Codex will start without it. Fix: ${shellCommand(['codex-auth', 'login', entry.name])}`);
  }
}

/**
 * Keeps logged-in entries wired for the Codex being launched: puts back wiring an edit lost
 * (`unpatch` forgets the record, so unpatched entries stay as they are), moves entries from the
 * environment to the helper once a Codex that runs it is in use, and refreshes a helper command
 * whose paths changed (codex-auth or node moved). Returns the config as it is afterwards.
 */
async function keepWired(ctx: CliContext, config: LayeredCodexConfig, grants: Grant[], launching: Launching): Promise<LayeredCodexConfig> {
  const { wiringPlan } = await import('./wiring.ts');
  const plan = wiringPlan(ctx, launching.version);
  const stale = grants.filter((grant) => {
    const entry = config.servers.find((server) => server.name === grant.serverName);
    const recorded = ctx.store.server(grant.serverName).rewrite;
    return entry !== undefined && recorded !== undefined && !isWiredAs(entry, recorded, plan);
  });
  if (stale.length === 0) return config;
  const { rewriteEntries } = await import('../codex/apply.ts');
  try {
    for (const outcome of rewriteEntries(ctx.configPath, stale.map((grant) => grant.serverName), ctx.store, { force: false, now: ctx.now(), plan })) {
      if (outcome.status === 'kept-user-setting') ctx.out.warn(`${outcome.serverName}: your own ${outcome.userSetting} is in place; codex-auth leaves it alone`);
    }
  } catch (error) {
    // The alias must still start Codex: the entries keep the wiring they have, and say why.
    if (!(error instanceof CodexAuthError)) throw error;
    ctx.out.warn(`${error.message}; starting Codex with the entries as they are`);
    return config;
  }
  return readAsCodexDoes(ctx);
}

/** The route each logged-in server takes, given how its entry is wired now. */
function routeAll(launching: Launching, config: CodexConfig, grants: Grant[], states: Map<string, ServerState>, proxy: boolean): Managed[] {
  return grants.flatMap((grant) => {
    const entry = config.servers.find((server) => server.name === grant.serverName);
    const state = states.get(grant.serverName);
    if (!entry || !state?.rewrite) return [];
    let route = preferredRoute(launching, entry, proxy);
    // A helper that is not in the entry (the edit was refused, or unpatched) cannot serve it.
    if (route === 'helper' && currentWiring(entry, state.rewrite) !== 'helper') route = proxy && overridable(entry.name) && !launching.helperCapable ? 'proxy' : 'environment';
    return [{ grant, state, entry, route }];
  });
}

/** The names codex-auth gives token variables (rewrite.ts): CODEX_AUTH_<NAME>_TOKEN, _2, _3, ... */
const TOKEN_VARIABLE = /^CODEX_AUTH_[A-Z0-9_]*_TOKEN(?:_\d+)?$/;

/**
 * Every variable that may hold a token of codex-auth's: its naming pattern, each server's
 * recorded variable and each line of the env file (read before this run rewrites it), except a
 * variable an entry of the user's own reads.
 */
function tokenVariables(config: CodexConfig, states: ServerState[], envFileNames: string[]): (name: string) => boolean {
  const known = new Set([...states.flatMap((state) => (state.rewrite ? [state.rewrite.varName] : [])), ...envFileNames]);
  const recorded = new Map(states.map((state) => [state.serverName, state.rewrite]));
  const usersOwn = new Set(config.servers.flatMap((entry) => (entry.bearerTokenEnvVar && userSetting(entry, recorded.get(entry.name)) ? [entry.bearerTokenEnvVar] : [])));
  return (name) => !usersOwn.has(name) && (known.has(name) || TOKEN_VARIABLE.test(name));
}

/**
 * The `-c` overrides and environment for the launch. No OAuth token is left in the child's
 * environment unless its route needs it there, not even one inherited from a sourced env file
 * for a server whose url has changed since.
 */
function launchSettings(ctx: CliContext, launching: Launching, managed: Managed[], isTokenVariable: (name: string) => boolean): { overrides: string[]; env: NodeJS.ProcessEnv; unreachable: string[] } {
  const env = Object.fromEntries(Object.entries(ctx.env).filter(([name]) => !isTokenVariable(name)));
  const overrides: string[] = [];
  const unreachable: string[] = [];
  for (const { grant, state, entry, route } of managed) {
    // Codex 0.148-0.151 runs the helper and then refuses its Authorization: a helper that hands
    // out no header lets the variable or the proxy serve the entry (a -c cannot remove the key).
    if (launching.runsHelperButRefusesIt && entry.httpHeadersHelper !== undefined) {
      if (overridable(entry.name)) overrides.push('-c', `mcp_servers.${entry.name}.http_headers_helper=${JSON.stringify(NO_HEADERS_HELPER)}`);
      else unreachable.push(entry.name);
    }
    if (route !== 'environment') continue;
    const varName = state.rewrite!.varName;
    env[varName] = grant.tokens.accessToken;
    // An older Codex ignores a helper-wired entry's helper: point it at the variable for this launch.
    if (launching.isCodex && currentWiring(entry, state.rewrite) !== 'environment') {
      if (overridable(entry.name)) overrides.push('-c', `mcp_servers.${entry.name}.bearer_token_env_var=${JSON.stringify(varName)}`);
      else unreachable.push(entry.name);
    }
  }
  return { overrides, env, unreachable };
}

/**
 * Starts the session proxy in front of `viaProxy` (logged-in servers, and servers open at login,
 * whose first challenge starts a login there and then) and launches with the overrides.
 */
async function launchThroughProxy(ctx: CliContext, config: CodexConfig, launching: Launching, viaProxy: McpServerEntry[], settings: ReturnType<typeof launchSettings>): Promise<number> {
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
    // A server open until now gets wired like any login, so later launches have its token too.
    if (grant && !ctx.store.server(serverName).rewrite) {
      const [{ rewriteEntries }, { wiringPlan }] = await Promise.all([import('../codex/apply.ts'), import('./wiring.ts')]);
      rewriteEntries(ctx.configPath, [serverName], ctx.store, { force: false, now: ctx.now(), plan: wiringPlan(ctx, launching.version) });
    }
    syncEnvFile(ctx.store, config);
    return grant;
  };
  const routes = viaProxy.map((entry) => {
    const http = httpClientFor(ctx, resolveHeaders(entry, ctx.env));
    return createRoute({ store: ctx.store, paths: ctx.paths, http, now: ctx.now, reauthorize, warn: (message) => ctx.out.warn(message) }, entry.name, entry.url!);
  });
  const secret = randomBytes(32).toString('base64url');
  const proxy = await startProxy({ routes, secret, log: (line) => ctx.out.debug(`proxy: ${line}`) });
  const overrides = viaProxy.flatMap((entry) => [
    '-c',
    `mcp_servers.${entry.name}.url=${JSON.stringify(proxy.urlFor(entry.name))}`,
    '-c',
    `mcp_servers.${entry.name}.bearer_token_env_var="${PROXY_SECRET_VARIABLE}"`,
  ]);
  ctx.out.debug(`proxy on 127.0.0.1:${proxy.port} for ${viaProxy.map((entry) => entry.name).join(', ')}`);
  try {
    return await launch({
      file: launching.file,
      args: [...overrides, ...settings.overrides, ...launching.args],
      env: { ...settings.env, [PROXY_SECRET_VARIABLE]: secret },
      stdinIsTTY: Boolean(ctx.streams.stdin.isTTY),
    });
  } finally {
    await proxy.close();
  }
}

/** `codex mcp login|logout <name>` for a remote server in config.toml: codex-auth's own flow. */
async function answerMcpCommand(ctx: CliContext, config: CodexConfig | undefined, invocation: CodexInvocation): Promise<number | undefined> {
  if (invocation.kind !== 'mcp-login' && invocation.kind !== 'mcp-logout') return undefined;
  const entry = config?.servers.find((server) => server.name === invocation.server);
  if (entry?.kind !== 'remote') return undefined;
  for (const ignored of invocation.ignored) ctx.out.warn(`codex-auth answers \`codex mcp ${invocation.kind === 'mcp-login' ? 'login' : 'logout'}\` and ignores ${ignored}`);
  if (invocation.kind === 'mcp-logout') {
    if (!ctx.store.knownServers().some((state) => state.serverName === entry.name)) {
      ctx.out.info(`${entry.name}: codex-auth has no login for it; nothing to log out`);
      return 0;
    }
    return (await import('./logout.ts')).runLogout(ctx, { names: [entry.name], json: false });
  }
  const { runLogin } = await import('./login.ts');
  return runLogin(ctx, { names: [entry.name], browser: invocation.browser, force: true, device: false, json: false, ...(invocation.scopes ? { scopes: invocation.scopes } : {}), ...(invocation.resource ? { resource: invocation.resource } : {}) });
}

export async function runRun(ctx: CliContext, options: RunOptions): Promise<number> {
  const [command = 'codex', ...args] = options.command;
  const file = resolveCommand(command, ctx.env, ctx.program.selfPaths);
  const stdinIsTTY = Boolean(ctx.streams.stdin.isTTY);
  const isCodex = isCodexCommand(command, ctx.env);
  const invocation = isCodex ? classifyCodexArgs(args) : undefined;
  // Codex's own commands that need no MCP token start exactly as typed.
  if (invocation?.kind === 'other') return launch({ file, args, env: ctx.env, stdinIsTTY });
  const config = loadConfig(ctx);
  const answered = invocation ? await answerMcpCommand(ctx, config, invocation) : undefined;
  if (answered !== undefined) return answered;
  if (!config || invocation?.kind === 'mcp-login' || invocation?.kind === 'mcp-logout') return launch({ file, args, env: ctx.env, stdinIsTTY });

  const version = isCodex ? codexVersion(file, ctx.paths.codexVersions) : undefined;
  const helperCapable = isCodex && hasFeature(version, 'headersHelper');
  const launching: Launching = { file, args, isCodex, version, invocation, helperCapable, runsHelperButRefusesIt: isCodex && !helperCapable && hasFeature(version, 'helperKey') };
  const policyOf = (entry: McpServerEntry) => policyFor(preferredRoute(launching, entry, options.proxy), options);
  const known = entriesByState(ctx, config);
  await checkUnloggedServers(ctx, known.unchecked, options.strict);
  let outcomes = await refreshAll(ctx, known.managed, policyOf);
  const missing = outcomes.filter(({ freshness }) => freshness.status === 'needs-login');
  const toLogIn = refuseProjectUrls(ctx, config, missing, options.strict);
  if (toLogIn.length > 0) {
    await handleMissingLogins(ctx, toLogIn, options);
    outcomes = await refreshAll(ctx, entriesByState(ctx, config).managed, policyOf);
  }
  for (const { entry, freshness } of outcomes) {
    if (freshness.status === 'fresh' && cannotLastTheSession(freshness.grant, ctx.now(), options)) {
      const remainingMs = freshness.grant.tokens.expiresAt! - ctx.now();
      // A token that expired seconds ago must not round up to "expires in 1 min".
      const when = remainingMs <= 0 ? 'has expired' : `expires in ${Math.max(1, Math.round(remainingMs / 60_000))} min`;
      ctx.out.warn(`${entry.name}: its token ${when} and the server gave no refresh token; ${remainingMs <= 0 ? '' : 'then '}log in again: ${shellCommand(['codex-auth', 'login', entry.name])}`);
    }
    if (freshness.status !== 'stale') continue;
    // --strict promises a working login; an expired token that could not be refreshed is not one.
    if (options.strict && hasExpired(freshness.grant, ctx.now())) throw freshness.error;
    const why = freshness.error.message.replace(/\.$/, '');
    // An expired token is no "current token" to go on with: say what the person will meet, and what to do.
    if (hasExpired(freshness.grant, ctx.now())) {
      ctx.out.warn(`${entry.name}: its token has expired and could not be refreshed (${why}); Codex starts with it, but the server may refuse it: see ${shellCommand(['codex-auth', 'doctor', entry.name])}, or log in again: ${shellCommand(['codex-auth', 'login', entry.name])}`);
    } else ctx.out.warn(`${entry.name}: could not refresh (${why}); using the current token, still valid`);
  }
  const grants = outcomes.flatMap(({ freshness }) => ('grant' in freshness ? [freshness.grant] : []));
  let current = toLogIn.length > 0 ? readAsCodexDoes(ctx) : config;
  if (isCodex) current = await keepWired(ctx, current, grants, launching);
  // One read of the state files after refreshes, logins and rewiring serves the routes and the env file.
  const states = ctx.store.knownServers();
  const isTokenVariable = tokenVariables(current, states, Object.keys(readEnvFile(ctx.paths.envFile)));
  syncEnvFile(ctx.store, current, states);
  const managed = routeAll(launching, current, grants, new Map(states.map((state) => [state.serverName, state])), options.proxy);
  const settings = launchSettings(ctx, launching, managed, isTokenVariable);
  for (const name of settings.unreachable) ctx.out.warn(`${name}: this Codex cannot run codex-auth's helper, and its name contains characters -c cannot address; it starts without a token`);
  const viaProxy = [
    ...managed.filter(({ route }) => route === 'proxy').map(({ entry }) => entry),
    ...known.open.filter((entry) => preferredRoute(launching, entry, options.proxy) === 'proxy'),
  ];
  if (viaProxy.length > 0) return launchThroughProxy(ctx, current, launching, viaProxy, settings);
  ctx.out.debug(`launching ${file}: ${managed.map(({ entry, route }) => `${entry.name} via ${route}`).join(', ') || 'no managed servers'}`);
  return launch({ file, args: [...settings.overrides, ...args], env: settings.env, stdinIsTTY });
}
