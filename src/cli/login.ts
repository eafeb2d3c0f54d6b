// `codex-auth login [name...]`: runs the MCP OAuth flow for each server, stores
// the grant, points the Codex entry at codex-auth's variable and writes the env file.
import { readCodexConfig, resolveHeaders, findServer, type CodexConfig, type McpServerEntry } from '../codex/config.ts';
import { planRewrite, rewriteEntries, type RewriteOutcome } from '../codex/apply.ts';
import { isWiredAs, userSetting } from '../codex/wiring.ts';
import { syncEnvFile } from '../codex/envfile.ts';
import { CodexAuthError } from '../errors.ts';
import { login, type Grant, type LoginDeps, type LoginRequest } from '../oauth/flow.ts';
import { parseScopeList } from '../oauth/scopes.ts';
import { withServerLock } from '../store/lock.ts';
import { interactiveAuthorizer } from '../ui/authorize.ts';
import { terminalText } from '../ui/output.ts';
import type { StepUp } from '../session/routes.ts';
import { shellCommand } from '../shell.ts';
import { batchExitCode, eachServer, isFailure, printSummary } from './batch.ts';
import type { CliContext } from './context.ts';
import { httpClientFor } from './http-client.ts';
import { codexInUse, wiringPlan } from './wiring.ts';

export interface LoginOptions {
  names: string[];
  scopes?: string[];
  resource?: string;
  clientId?: string;
  clientSecretEnv?: string;
  clientMetadataUrl?: string;
  /** client_name for dynamic registration (servers that register only names they know); remembered per server. */
  clientName?: string;
  callbackPort?: number;
  browser: boolean;
  force: boolean;
  device: boolean;
  json: boolean;
  /** Re-authorization after 403 insufficient_scope: the engine asks for the union. */
  stepUp?: StepUp;
}

export interface LoginReport {
  server: string;
  status: 'logged-in' | 'wired-up' | 'no-authorization-needed' | 'already-logged-in' | 'skipped-user-token' | 'skipped-disabled';
  issuer?: string;
  resource?: string;
  scope?: string;
  expiresAt?: string;
  envVar?: string;
  /** How Codex gets the token: `helper` (http_headers_helper) or `environment` (bearer_token_env_var). */
  wiring?: string;
}

const AUTHORIZATION_TIMEOUT_MS = 10 * 60_000;

/** `CODEX_AUTH_LOGIN_WAIT_MS` overrides how long a login waits for the browser to come back. */
function authorizationTimeout(env: NodeJS.ProcessEnv): number {
  const value = Number(env.CODEX_AUTH_LOGIN_WAIT_MS);
  return Number.isInteger(value) && value > 0 ? value : AUTHORIZATION_TIMEOUT_MS;
}

/** "a,b c" -> ["a","b","c"]: scopes may be given comma- or space-separated. */
export function splitScopes(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const scopes = parseScopeList(value);
  return scopes.length > 0 ? scopes : undefined;
}

function clientSecretFrom(ctx: CliContext, variable: string | undefined): string | undefined {
  if (!variable) return undefined;
  const secret = ctx.env[variable];
  if (!secret) {
    throw new CodexAuthError({
      kind: 'usage',
      step: 'arguments',
      message: `--client-secret-env names ${variable}, but that variable is not set`,
      hint: `export ${variable}=<client secret> and run the command again`,
    });
  }
  return secret;
}

/** Named servers as given; with no name, every remote entry (disabled ones are reported and skipped). */
function targetNames(config: CodexConfig, options: LoginOptions): string[] {
  if (options.names.length > 0) return options.names;
  return config.servers.filter((entry) => entry.kind === 'remote').map((entry) => entry.name);
}

function hasFreshGrant(ctx: CliContext, entry: McpServerEntry): boolean {
  const grant = ctx.store.server(entry.name).grant;
  if (!grant || grant.mcpUrl !== entry.url) return false;
  return grant.tokens.refreshToken !== undefined || (grant.tokens.expiresAt ?? 0) > ctx.now();
}

function loginRequest(ctx: CliContext, config: CodexConfig, entry: McpServerEntry, options: LoginOptions, secret: string | undefined): LoginRequest {
  const clientId = options.clientId ?? entry.clientId;
  const callbackPort = options.callbackPort ?? entry.callbackPort ?? config.callbackPort;
  const scopes = options.scopes ?? entry.scopes;
  const resource = options.resource ?? entry.oauthResource;
  const clientMetadataUrl = options.clientMetadataUrl ?? ctx.env.CODEX_AUTH_CLIENT_METADATA_URL;
  const clientName = options.clientName ?? ctx.store.server(entry.name).clientName;
  return {
    serverName: entry.name,
    mcpUrl: entry.url!,
    clients: ctx.store.clients(),
    useDeviceFlow: options.device,
    ...(clientName ? { clientName } : {}),
    // --force logs in from scratch: the server may have forgotten the stored registration. A step-up keeps it.
    ...(options.force && !options.stepUp ? { reRegister: true } : {}),
    ...(scopes ? { scopes } : {}),
    ...(resource ? { resource } : {}),
    ...(clientId ? { preRegistered: { clientId, ...(secret ? { clientSecret: secret } : {}) } } : {}),
    ...(clientMetadataUrl ? { clientMetadataUrl } : {}),
    ...(callbackPort ? { callbackPort } : {}),
    // The 403's challenge stands in for the probe: a server may leave `initialize` open.
    // A first login started by a challenge (a server open until now) selects scopes as any login does.
    ...(options.stepUp
      ? { ...(options.stepUp.grantedScopes.length > 0 ? { stepUp: { grantedScopes: options.stepUp.grantedScopes, challengedScopes: options.stepUp.challengedScopes } } : {}), challenge: options.stepUp.challenge }
      : {}),
  };
}

/** Runs the OAuth flow for one entry and stores the grant; undefined when the server needs no authorization. */
export async function loginServer(ctx: CliContext, config: CodexConfig, entry: McpServerEntry, options: LoginOptions, secret: string | undefined): Promise<Grant | undefined> {
  const { out } = ctx;
  const http = httpClientFor(ctx, resolveHeaders(entry, ctx.env));
  const request = loginRequest(ctx, config, entry, options, secret);
  const outcome = await login(request, {
    http,
    now: ctx.now,
    progress: (step, detail) => out.progress(entry.name, step, detail),
    authorizeInteractively: offeringReRegistration(
      interactiveAuthorizer({
        serverName: entry.name,
        out,
        streams: ctx.streams,
        openBrowser: ctx.openBrowser,
        useBrowser: options.browser,
        timeoutMs: authorizationTimeout(ctx.env),
      }),
      request,
    ),
    showDeviceCode: ({ verificationUri, verificationUriComplete, userCode }) => {
      out.info(`To authorize ${entry.name}, visit ${verificationUriComplete ?? verificationUri} and enter the code ${out.color.bold(terminalText(userCode))}`);
    },
  });
  if (outcome.kind === 'no-authorization-needed') return undefined;
  const { grant } = outcome;
  await withServerLock(ctx.paths, entry.name, async () => {
    ctx.store.saveGrant(entry.name, grant);
    if (options.clientName) ctx.store.rememberClientName(entry.name, options.clientName);
  });
  if (!grant.tokens.refreshToken) {
    const until = expiryDate(grant);
    out.warn(`${entry.name}: the server issued no refresh token, so this login ends when the token expires${until ? ` (${until.toLocaleString()})` : ''}; then run codex-auth login ${entry.name} again`);
  }
  return grant;
}

/**
 * A login whose browser never comes back may be a registration the server has forgotten: its
 * authorization page then shows an error and never redirects (AWS sign-in, in-memory servers).
 * The failure says how to register afresh instead of reusing that registration again.
 */
function offeringReRegistration(authorize: LoginDeps['authorizeInteractively'], login: LoginRequest): LoginDeps['authorizeInteractively'] {
  if (login.reRegister || login.preRegistered) return authorize;
  return async (request) => {
    try {
      return await authorize(request);
    } catch (error) {
      if (!(error instanceof CodexAuthError)) throw error;
      const again = `if the authorization page showed an error instead of coming back, the server may have forgotten codex-auth's registration: run codex-auth login ${login.serverName} --force to register afresh`;
      throw error.withHint(error.hint ? `${error.hint}; ${again}` : again);
    }
  };
}

/** The token's expiry as a Date; undefined when unknown or not a representable date (never throws). */
function expiryDate(grant: Grant): Date | undefined {
  const date = grant.tokens.expiresAt === undefined ? undefined : new Date(grant.tokens.expiresAt);
  return date && Number.isFinite(date.getTime()) ? date : undefined;
}

function report(grant: Grant, rewrite: RewriteOutcome | undefined): LoginReport {
  const expiresAt = expiryDate(grant)?.toISOString();
  return {
    server: grant.serverName,
    status: 'logged-in',
    issuer: grant.issuer,
    resource: grant.resource,
    ...(grant.tokens.scopes?.length ? { scope: grant.tokens.scopes.join(' ') } : {}),
    ...(expiresAt ? { expiresAt } : {}),
    ...(rewrite?.varName ? { envVar: rewrite.varName } : {}),
    ...(rewrite?.wiring ? { wiring: rewrite.wiring } : {}),
  };
}

function howCodexGetsIt(wired: RewriteOutcome | undefined): string {
  if (wired?.wiring === 'helper') return 'Codex asks codex-auth for it (http_headers_helper)';
  return `Codex reads it from ${wired?.varName ?? 'its entry'}`;
}

type RewriteSettings = Parameters<typeof rewriteEntries>[3];

/** Wires the entry to its token; a failure keeps the login and says how to finish without a browser. */
function wireUp(ctx: CliContext, entry: McpServerEntry, rewrite: RewriteSettings): RewriteOutcome | undefined {
  try {
    const [wired] = rewriteEntries(ctx.configPath, [entry.name], ctx.store, rewrite);
    syncEnvFile(ctx.store);
    return wired;
  } catch (error) {
    if (!(error instanceof CodexAuthError)) throw error;
    throw new CodexAuthError({
      kind: error.kind,
      step: error.step,
      server: entry.name,
      message: `logged in (the tokens are kept), but the config entry is not wired up: ${error.message}`,
      hint: `fix that, then run ${shellCommand(['codex-auth', 'login'])} to finish wiring without a browser`,
      cause: error,
    });
  }
}

async function loginOne(ctx: CliContext, config: CodexConfig, name: string, options: LoginOptions, secret: string | undefined, rewrite: RewriteSettings): Promise<LoginReport> {
  const { out } = ctx;
  const named = options.names.length > 0;
  const entry = findServer(config, name);
  if (!named && !entry.enabled) {
    out.info(`${out.color.dim('-')} ${name}: disabled in config.toml (enabled = false), skipped`);
    return { server: name, status: 'skipped-disabled' };
  }
  const recorded = ctx.store.server(name).rewrite;
  const own = userSetting(entry, recorded);
  if (own && (!options.force || !own.replaceable)) {
    const message = `${name} uses your own ${own.text}; codex-auth leaves it alone`;
    if (named) {
      const hint = own.replaceable ? `run ${shellCommand(['codex-auth', 'login', name, '--force'])} to let codex-auth manage it` : `remove the ${own.key} header from the entry to let codex-auth manage it`;
      throw new CodexAuthError({ kind: 'config', step: 'config', server: name, message, hint });
    }
    out.info(`${out.color.dim('-')} ${message}`);
    return { server: name, status: 'skipped-user-token' };
  }
  if (!named && !options.force && hasFreshGrant(ctx, entry)) {
    // Wired by this install for the Codex in use: nothing to do. A helper line naming a node or a
    // codex-auth that has moved since (an upgrade) is rewritten like a lost one.
    if (isWiredAs(entry, recorded, rewrite.plan)) {
      out.info(`${out.color.dim('-')} ${name}: already logged in (use --force to log in again)`);
      return { server: name, status: 'already-logged-in' };
    }
    // Logged in but not wired (the rewrite failed, or unpatch): finish it, no browser needed.
    const wired = wireUp(ctx, entry, rewrite);
    out.success(`${name}: already logged in; config entry wired up: ${howCodexGetsIt(wired)}`);
    return { server: name, status: 'wired-up', ...(wired?.varName ? { envVar: wired.varName } : {}), ...(wired?.wiring ? { wiring: wired.wiring } : {}) };
  }
  // Refuse an entry that cannot be rewritten before the person goes through the browser.
  planRewrite(config, [name], ctx.store, rewrite);
  const grant = await loginServer(ctx, config, entry, options, secret);
  if (!grant) {
    ctx.store.markOpen(name, ctx.now());
    out.info(`${out.color.dim('-')} ${name}: needs no authorization, nothing to do`);
    return { server: name, status: 'no-authorization-needed' };
  }
  const wired = wireUp(ctx, entry, rewrite);
  const validUntil = expiryDate(grant);
  const expiry = validUntil ? `, token valid until ${validUntil.toLocaleTimeString()}` : '';
  out.success(`${name}: logged in at ${grant.issuer}${expiry}; ${howCodexGetsIt(wired)}`);
  return report(grant, wired);
}

export async function runLogin(ctx: CliContext, options: LoginOptions): Promise<number> {
  const { out } = ctx;
  const secret = clientSecretFrom(ctx, options.clientSecretEnv);
  const config = readCodexConfig(ctx.configPath);
  const names = targetNames(config, options);
  if (names.length === 0) {
    out.info(`No remote MCP servers in ${config.path}. Add one with: codex mcp add <name> --url <url>`);
    if (options.json) out.printJson({ ok: true, servers: [] });
    return 0;
  }
  const rewrite: RewriteSettings = { force: options.force, now: ctx.now(), plan: wiringPlan(ctx, codexInUse(ctx).version) };
  const results = await eachServer(ctx, names, (name) => loginOne(ctx, config, name, options, secret, rewrite));
  printSummary(ctx, results, 'ready');
  if (options.json) out.printJson({ ok: !results.some(isFailure), servers: results });
  return batchExitCode(results);
}
