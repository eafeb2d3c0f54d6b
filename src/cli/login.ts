// `codex-auth login [name...]`: runs the MCP OAuth flow for each server, stores
// the grant, points the Codex entry at codex-auth's variable and writes the env file.
import { readCodexConfig, resolveHeaders, findServer, type CodexConfig, type McpServerEntry } from '../codex/config.ts';
import { isOurVar, rewriteEntries, type RewriteOutcome } from '../codex/apply.ts';
import { syncEnvFile } from '../codex/envfile.ts';
import { setBearerEnvVar } from '../codex/rewrite.ts';
import { CodexAuthError } from '../errors.ts';
import { login, type Grant, type LoginDeps, type LoginRequest } from '../oauth/flow.ts';
import { parseScopeList } from '../oauth/scopes.ts';
import { withServerLock } from '../store/lock.ts';
import { interactiveAuthorizer } from '../ui/authorize.ts';
import type { StepUp } from '../session/routes.ts';
import type { CliContext } from './context.ts';
import { httpClientFor } from './http-client.ts';

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
  status: 'logged-in' | 'no-authorization-needed' | 'already-logged-in' | 'skipped-user-token';
  issuer?: string;
  resource?: string;
  scope?: string;
  expiresAt?: string;
  envVar?: string;
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
      step: 'config',
      message: `--client-secret-env names ${variable}, but that variable is not set`,
      hint: `export ${variable}=<client secret> and run the command again`,
    });
  }
  return secret;
}

function targetsFor(ctx: CliContext, config: CodexConfig, options: LoginOptions): McpServerEntry[] {
  if (options.names.length > 0) return options.names.map((name) => findServer(config, name));
  return config.servers.filter((entry) => entry.kind === 'remote' && entry.enabled);
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
    ...(options.stepUp
      ? { stepUp: { grantedScopes: options.stepUp.grantedScopes, challengedScopes: options.stepUp.challengedScopes }, challenge: options.stepUp.challenge }
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
      out.info(`To authorize ${entry.name}, visit ${verificationUriComplete ?? verificationUri} and enter the code ${out.color.bold(userCode)}`);
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
  };
}

export async function runLogin(ctx: CliContext, options: LoginOptions): Promise<number> {
  const { out } = ctx;
  const secret = clientSecretFrom(ctx, options.clientSecretEnv);
  const config = readCodexConfig(ctx.configPath);
  const targets = targetsFor(ctx, config, options);
  if (targets.length === 0) {
    out.info(`No remote MCP servers in ${config.path}. Add one with: codex mcp add <name> --url <url>`);
    return 0;
  }
  const reports: LoginReport[] = [];
  for (const entry of targets) {
    const recordedVar = ctx.store.server(entry.name).rewrite?.varName;
    if (entry.bearerTokenEnvVar && !isOurVar(entry, recordedVar) && !options.force) {
      const message = `${entry.name} uses your own bearer_token_env_var (${entry.bearerTokenEnvVar}); codex-auth leaves it alone`;
      if (options.names.length > 0) {
        throw new CodexAuthError({ kind: 'config', step: 'config', server: entry.name, message, hint: `run codex-auth login ${entry.name} --force to let codex-auth manage it` });
      }
      out.info(`${out.color.dim('-')} ${message}`);
      reports.push({ server: entry.name, status: 'skipped-user-token' });
      continue;
    }
    if (options.names.length === 0 && !options.force && hasFreshGrant(ctx, entry)) {
      out.info(`${out.color.dim('-')} ${entry.name}: already logged in (use --force to log in again)`);
      reports.push({ server: entry.name, status: 'already-logged-in' });
      continue;
    }
    // Refuse an entry that cannot be rewritten before the person goes through the browser.
    setBearerEnvVar(config.text, entry.name, recordedVar ?? 'CODEX_AUTH_PREFLIGHT_TOKEN');
    const grant = await loginServer(ctx, config, entry, options, secret);
    if (!grant) {
      out.info(`${out.color.dim('-')} ${entry.name}: needs no authorization, nothing to do`);
      reports.push({ server: entry.name, status: 'no-authorization-needed' });
      continue;
    }
    const [rewrite] = rewriteEntries(ctx.configPath, [entry.name], ctx.store, { force: options.force, now: ctx.now() });
    syncEnvFile(ctx.store);
    const done = report(grant, rewrite);
    reports.push(done);
    const validUntil = expiryDate(grant);
    const expiry = validUntil ? `, token valid until ${validUntil.toLocaleTimeString()}` : '';
    out.success(`${entry.name}: logged in at ${grant.issuer}${expiry}; Codex reads it from ${rewrite?.varName ?? 'its entry'}`);
  }
  if (options.json) out.printJson(reports);
  return 0;
}
