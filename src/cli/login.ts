// `codex-auth login [name...]`: runs the MCP OAuth flow for each server, stores
// the grant, points the Codex entry at codex-auth's variable and writes the env file.
import { readCodexConfig, resolveHeaders, findServer, tomlKey, type CodexConfig, type McpServerEntry } from '../codex/config.ts';
import { followProjectUrl, planRewrite, rewriteEntries, type RewriteOutcome } from '../codex/apply.ts';
import { layeredConfig, untrustedDefinition, type LayeredEntry } from '../codex/layers.ts';
import { isWiredAs, userSetting } from '../codex/wiring.ts';
import { syncEnvFile } from '../codex/envfile.ts';
import { join, resolve } from 'node:path';
import { CodexAuthError } from '../errors.ts';
import { login, type Grant, type LoginDeps, type LoginRequest } from '../oauth/flow.ts';
import { tokenAccount } from '../oauth/tokens.ts';
import { gitHubActionsSource, type AssertionSource } from '../oauth/assertion-source.ts';
import type { IdentityProvider } from '../oauth/token-exchange.ts';
import type { PreRegisteredClient } from '../oauth/unattended.ts';
import type { UnattendedGrant } from '../oauth/unattended-grants.ts';
import { parseScopeList } from '../oauth/scopes.ts';
import { ensureFresh } from '../session/fresh.ts';
import { withServerLock } from '../store/lock.ts';
import { canRenew } from '../session/policy.ts';
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
  /** A grant with no person (no browser, no refresh token); absent: the browser or device flow. */
  grant?: UnattendedGrant;
  /** private_key_jwt: the client's PEM private key file (kept as an absolute path), and --signing-alg. */
  privateKey?: string;
  signingAlg?: string;
  /** jwt-bearer: where the workload's JWT comes from (one of them). */
  assertionFile?: string;
  assertionEnv?: string;
  assertionCommand?: string;
  assertionGithubActions?: boolean;
  /** The audience asked of the GitHub Actions OIDC endpoint (default: the authorization server's issuer). */
  audience?: string;
  /** enterprise: the IdP's token endpoint and codex-auth's client there, and where the user's ID token comes from (one of them). */
  idpTokenEndpoint?: string;
  idpClientId?: string;
  idpClientSecretEnv?: string;
  idTokenFile?: string;
  idTokenEnv?: string;
  idTokenCommand?: string;
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
  status: 'logged-in' | 'refreshed' | 'wired-up' | 'no-authorization-needed' | 'already-logged-in' | 'skipped-user-token' | 'skipped-disabled';
  issuer?: string;
  resource?: string;
  /** Whom the server logged in, as its JWT access token says (never the token). */
  account?: string;
  scope?: string;
  expiresAt?: string;
  /** Set for a login with no person: the grant its token is renewed with. */
  grant?: string;
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

/**
 * A pre-registered client belongs to one authorization server: its id and secret are given for
 * exactly one named server, never for several or for every one.
 */
function requireOneServerForClient(options: LoginOptions): void {
  const given = [options.clientId && '--client-id', options.clientSecretEnv && '--client-secret-env'].filter(Boolean).join(' and ');
  if (!given || options.names.length === 1) return;
  throw new CodexAuthError({
    kind: 'usage',
    step: 'arguments',
    message: `${given} belong to one server's authorization server, but ${options.names.length === 0 ? 'no server was named (that means every server)' : `${options.names.length} servers were named`}`,
    hint: `log in to each server on its own: codex-auth login <name> ${shellCommand([...(options.clientId ? ['--client-id', options.clientId] : []), ...(options.clientSecretEnv ? ['--client-secret-env', options.clientSecretEnv] : [])])}`,
  });
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

/**
 * The servers to log in to, as Codex sees them from here: named ones as given, else every remote
 * entry, the trusted project's included, and those only a project defines. Such an entry gets its
 * url in the user's config.toml when it is wired (addUserEntries says why), after the login.
 */
function withProjectEntries(user: CodexConfig, options: LoginOptions): { config: CodexConfig; names: string[]; fromProject: Map<string, LayeredEntry> } {
  const layered = layeredConfig(user, process.cwd());
  const remote = layered.servers.filter((entry) => entry.kind === 'remote');
  const names = options.names.length > 0 ? options.names : remote.map((entry) => entry.name);
  for (const name of names) {
    const ignored = layered.servers.some((entry) => entry.name === name) ? undefined : untrustedDefinition(layered, name);
    if (ignored) {
      throw new CodexAuthError({
        kind: 'config', step: 'config', server: name,
        message: `"${name}" is defined in ${ignored}, but Codex does not read that file: the project ${layered.project.trustDir} is not trusted`,
        hint: `trust it (answer Codex's question when you start codex there, or add [projects.${JSON.stringify(layered.project.trustDir)}] trust_level = "trusted" to ${user.path}), then run ${shellCommand(['codex-auth', 'login', name])} again`,
      });
    }
  }
  // Entries whose url a project gives: only the project (then login appends a table), or over the user's own url.
  const fromProject = new Map(remote.filter((entry) => entry.source !== user.path).map((entry) => [entry.name, entry]));
  // The entries as Codex merges them (the project's scopes and resource count); edits go to the user's text.
  return { config: { ...user, servers: layered.servers }, names, fromProject };
}

function hasFreshGrant(ctx: CliContext, entry: McpServerEntry): boolean {
  const grant = ctx.store.server(entry.name).grant;
  if (!grant || grant.mcpUrl !== entry.url) return false;
  return canRenew(grant) || (grant.tokens.expiresAt ?? 0) > ctx.now();
}

/** The pre-registered client, with its secret (kept in the 0600 state) or its private key file. */
function preRegistered(clientId: string, options: LoginOptions, secret: string | undefined): PreRegisteredClient {
  return {
    clientId,
    ...(secret ? { clientSecret: secret } : {}),
    ...(options.privateKey ? { privateKey: { path: resolve(options.privateKey), ...(options.signingAlg ? { alg: options.signingAlg } : {}) } } : {}),
  };
}

function usageError(message: string, hint: string): CodexAuthError {
  return new CodexAuthError({ kind: 'usage', step: 'arguments', message, hint });
}

/** Where the JWT-bearer grant's JWT comes from: the one source flag given (checked by checkUnattendedOptions). */
function assertionSource(ctx: CliContext, options: LoginOptions): AssertionSource | undefined {
  const file = options.assertionFile ?? options.idTokenFile;
  const command = options.assertionCommand ?? options.idTokenCommand;
  const variable = options.assertionEnv ?? options.idTokenEnv;
  if (file) return { kind: 'file', path: resolve(file) };
  if (command) return { kind: 'command', command };
  if (options.assertionGithubActions) return gitHubActionsSource(ctx.env, options.audience);
  if (!variable) return undefined;
  const value = ctx.env[variable];
  if (!value) throw usageError(`${options.idTokenEnv ? '--id-token-env' : '--assertion-env'} names ${variable}, but that variable is not set`, `export ${variable}=<the JWT> and run the command again`);
  return { kind: 'env', variable, value };
}

function givenFlags(given: Record<string, unknown>): string[] {
  return Object.entries(given).filter(([, value]) => Boolean(value)).map(([flag]) => flag);
}

function assertionFlags(options: LoginOptions): string[] {
  return givenFlags({ '--assertion-file': options.assertionFile, '--assertion-env': options.assertionEnv, '--assertion-command': options.assertionCommand, '--assertion-github-actions': options.assertionGithubActions });
}

function enterpriseFlags(options: LoginOptions): string[] {
  return givenFlags({ '--idp-token-endpoint': options.idpTokenEndpoint, '--idp-client-id': options.idpClientId, '--idp-client-secret-env': options.idpClientSecretEnv, ...idTokenGiven(options) });
}

function idTokenGiven(options: LoginOptions): Record<string, unknown> {
  return { '--id-token-file': options.idTokenFile, '--id-token-env': options.idTokenEnv, '--id-token-command': options.idTokenCommand };
}

/** The IdP of enterprise-managed authorization; its client secret, like the others, is kept in the 0600 state. */
function identityProvider(ctx: CliContext, options: LoginOptions): IdentityProvider | undefined {
  if (!options.idpTokenEndpoint || !options.idpClientId) return undefined;
  const secret = options.idpClientSecretEnv ? ctx.env[options.idpClientSecretEnv] : undefined;
  if (options.idpClientSecretEnv && !secret) throw usageError(`--idp-client-secret-env names ${options.idpClientSecretEnv}, but that variable is not set`, `export ${options.idpClientSecretEnv}=<IdP client secret> and run the command again`);
  return { tokenEndpoint: options.idpTokenEndpoint, clientId: options.idpClientId, ...(secret ? { clientSecret: secret } : {}) };
}

/** A grant with no person is for one server, with the client registered for it and one way to authenticate it. */
function checkUnattendedOptions(options: LoginOptions): void {
  const sources = assertionFlags(options);
  const enterprise = enterpriseFlags(options);
  if (options.grant !== 'enterprise' && enterprise.length > 0) throw usageError(`${enterprise.join(' and ')} go with --grant enterprise`, 'add --grant enterprise, or leave them out');
  if (options.grant !== 'jwt-bearer' && (sources.length > 0 || options.audience)) throw usageError(`${[...sources, ...(options.audience ? ['--audience'] : [])].join(' and ')} go with --grant jwt-bearer`, 'add --grant jwt-bearer, or leave them out');
  if (!options.grant) {
    if (options.privateKey || options.signingAlg) throw usageError('--private-key and --signing-alg are for --grant client_credentials or jwt-bearer', 'add --grant, or leave them out');
    return;
  }
  const example =
    options.grant === 'jwt-bearer'
      ? 'codex-auth login <name> --grant jwt-bearer --client-id <id> --assertion-file <JWT file>'
      : options.grant === 'enterprise'
        ? 'codex-auth login <name> --grant enterprise --idp-token-endpoint <url> --idp-client-id <id> --id-token-file <file> --client-id <id> --client-secret-env <VAR>'
        : `codex-auth login <name> --grant ${options.grant} --client-id <id> --client-secret-env <VAR>`;
  if (options.names.length !== 1) throw usageError(`--grant ${options.grant} logs in to one server at a time`, `name the server: ${example}`);
  if (options.device) throw usageError(`--grant ${options.grant} needs no device code; --device is for a person`, 'leave out --device');
  if (!options.clientId) throw usageError(`--grant ${options.grant} needs the client registered for it (--client-id)`, example);
  if (options.clientSecretEnv && options.privateKey) throw usageError('--client-secret-env and --private-key are two ways to authenticate the client: give one', example);
  if (options.grant === 'jwt-bearer') {
    if (sources.length !== 1) throw usageError('--grant jwt-bearer needs exactly one source of the workload JWT', 'give one of --assertion-file, --assertion-env, --assertion-command, --assertion-github-actions');
    if (options.audience && !options.assertionGithubActions) throw usageError('--audience goes with --assertion-github-actions', 'leave out --audience');
  } else if (options.grant === 'enterprise') {
    if (!options.idpTokenEndpoint || !options.idpClientId) throw usageError('--grant enterprise needs the IdP: --idp-token-endpoint and --idp-client-id', example);
    if (givenFlags(idTokenGiven(options)).length !== 1) throw usageError('--grant enterprise needs exactly one source of the ID token', 'give one of --id-token-file, --id-token-env, --id-token-command');
  } else if (!options.clientSecretEnv && !options.privateKey) {
    throw usageError(`--grant ${options.grant} needs exactly one of --client-secret-env and --private-key`, 'give the variable holding the client secret, or the client\'s PEM private key file');
  }
  if (options.signingAlg && !options.privateKey) throw usageError('--signing-alg goes with --private-key', 'add --private-key <PEM file>, or leave out --signing-alg');
}

function loginRequest(ctx: CliContext, config: CodexConfig, entry: McpServerEntry, options: LoginOptions, secret: string | undefined): LoginRequest {
  const assertion = assertionSource(ctx, options);
  const idp = identityProvider(ctx, options);
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
    ...(clientId ? { preRegistered: preRegistered(clientId, options, secret), credentialBindings: ctx.store.credentialBindings() } : {}),
    ...(options.grant ? { unattended: { grant: options.grant, ...(assertion ? { assertion } : {}), ...(idp ? { idp } : {}) } } : {}),
    ...(clientMetadataUrl ? { clientMetadataUrl } : {}),
    ...(callbackPort ? { callbackPort } : {}),
    // The 403's challenge stands in for the probe: a server may leave `initialize` open.
    // A first login started by a challenge (a server open until now) selects scopes as any login does.
    ...(options.stepUp
      ? { ...(options.stepUp.grantedScopes.length > 0 ? { stepUp: { grantedScopes: options.stepUp.grantedScopes, challengedScopes: options.stepUp.challengedScopes } } : {}), challenge: options.stepUp.challenge }
      : {}),
  };
}

/**
 * A named login may start with a refresh: when the stored login has a refresh token and the
 * person asks for nothing it does not already hold (no other scopes, resource or client, no
 * --force, --grant or step-up). It answers at once, where a browser sent to a server that has
 * forgotten the registration would wait its full time on an error page.
 */
function refreshMayDo(ctx: CliContext, entry: McpServerEntry, options: LoginOptions): boolean {
  const grant = ctx.store.server(entry.name).grant;
  if (!grant?.tokens.refreshToken || grant.unattended !== undefined || grant.mcpUrl !== entry.url) return false;
  if (options.force || options.stepUp || options.grant || options.clientMetadataUrl) return false;
  if (options.clientId !== undefined && options.clientId !== grant.client.clientId) return false;
  if (options.resource !== undefined && options.resource !== grant.resource) return false;
  const wanted = options.scopes ?? entry.scopes ?? [];
  const held = new Set(grant.tokens.scopes ?? []);
  return wanted.every((scope) => held.has(scope));
}

/**
 * Refreshes the stored login as `run` would after a rejected token. Undefined when that did not
 * work: invalid_client has then dropped the issuer's registration, so the browser login that
 * follows registers afresh; invalid_grant has dropped the tokens.
 */
async function refreshInstead(ctx: CliContext, entry: McpServerEntry): Promise<Grant | undefined> {
  const stored = ctx.store.server(entry.name).grant!;
  const deps = { store: ctx.store, paths: ctx.paths, now: ctx.now, http: httpClientFor(ctx, resolveHeaders(entry, ctx.env)) };
  ctx.out.progress(entry.name, 'refresh', 'trying the stored refresh token first');
  const freshness = await ensureFresh(deps, entry.name, entry.url!, { use: 'launch' }, stored.tokens.accessToken);
  if (freshness.status === 'needs-login' || freshness.status === 'stale') {
    const why = freshness.status === 'stale' ? freshness.error.message : freshness.reason;
    ctx.out.info(`${entry.name}: the refresh did not work (${why}); logging in through the browser`);
    return undefined;
  }
  return freshness.grant;
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
        handoffDir: join(ctx.paths.home, 'browser'),
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
  if (!canRenew(grant)) {
    const until = expiryDate(grant);
    out.warn(`${entry.name}: the server issued no refresh token, so this login ends when the token expires${until ? ` (${until.toLocaleString()})` : ''}; then run ${shellCommand(['codex-auth', 'login', entry.name])} again`);
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
      const again = `if the authorization page showed an error instead of coming back, the server may have forgotten codex-auth's registration: run ${shellCommand(['codex-auth', 'login', login.serverName, '--force'])} to register afresh`;
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
  const account = tokenAccount(grant.tokens);
  return {
    server: grant.serverName,
    status: 'logged-in',
    issuer: grant.issuer,
    resource: grant.resource,
    ...(account ? { account } : {}),
    ...(grant.tokens.scopes?.length ? { scope: grant.tokens.scopes.join(' ') } : {}),
    ...(expiresAt ? { expiresAt } : {}),
    ...(grant.unattended ? { grant: grant.unattended.grant } : {}),
    ...(rewrite?.varName ? { envVar: rewrite.varName } : {}),
    ...(rewrite?.wiring ? { wiring: rewrite.wiring } : {}),
  };
}

function howCodexGetsIt(wired: RewriteOutcome | undefined): string {
  if (wired?.wiring === 'helper') return 'Codex asks codex-auth for it (http_headers_helper)';
  return `Codex reads it from ${wired?.varName ?? 'its entry'}`;
}

type RewriteSettings = Parameters<typeof rewriteEntries>[3];

/**
 * A project whose url for the entry differs from the user's table: the login is for the
 * project's url, so the table login appended follows it; a table of the person's own is theirs,
 * and they are told that outside the project the helper refuses it.
 */
function followProject(ctx: CliContext, fromProject: LayeredEntry): void {
  const userUrl = readCodexConfig(ctx.configPath).servers.find((server) => server.name === fromProject.name)?.url;
  if (userUrl === undefined || userUrl === fromProject.url) return;
  const { kept } = followProjectUrl(ctx.configPath, fromProject.name, fromProject.url!, ctx.store);
  const table = `[mcp_servers.${tomlKey(fromProject.name)}]`;
  if (kept === undefined) ctx.out.info(`${fromProject.name}: ${fromProject.source} gives it the url ${fromProject.url}; the ${table} table login added to ${ctx.configPath} now says the same`);
  else ctx.out.warn(`${fromProject.name}: ${ctx.configPath} keeps the url ${userUrl} for it (${kept}), so outside the project codex-auth gives Codex no token for it; set url = ${JSON.stringify(fromProject.url)} there to use this login everywhere`);
}

/** Wires the entry to its token; a failure keeps the login and says how to finish without a browser. */
function wireUp(ctx: CliContext, entry: McpServerEntry, rewrite: RewriteSettings, fromProject: LayeredEntry | undefined): RewriteOutcome | undefined {
  try {
    const projectOnly = fromProject?.projectOnly ? fromProject : undefined;
    if (fromProject && !projectOnly) followProject(ctx, fromProject);
    const [wired] = rewriteEntries(ctx.configPath, [entry.name], ctx.store, { ...rewrite, ...(projectOnly ? { addUserEntries: [projectOnly] } : {}) });
    if (projectOnly) {
      ctx.out.info(`${entry.name}: defined in ${projectOnly.source}; its url is now also in ${ctx.configPath}, where codex-auth wires it (the project's file is left as it is, and Codex still starts outside the project)`);
    }
    syncEnvFile(ctx.store, readCodexConfig(ctx.configPath));
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

async function loginOne(ctx: CliContext, config: CodexConfig, name: string, options: LoginOptions, secret: string | undefined, rewrite: RewriteSettings, fromProject: LayeredEntry | undefined): Promise<LoginReport> {
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
    const wired = wireUp(ctx, entry, rewrite, fromProject);
    out.success(`${name}: already logged in; config entry wired up: ${howCodexGetsIt(wired)}`);
    return { server: name, status: 'wired-up', ...(wired?.varName ? { envVar: wired.varName } : {}), ...(wired?.wiring ? { wiring: wired.wiring } : {}) };
  }
  // Refuse an entry that cannot be rewritten before the person goes through the browser.
  planRewrite(config, [name], ctx.store, { ...rewrite, ...(fromProject?.projectOnly ? { addUserEntries: [fromProject] } : {}) });
  if (named && refreshMayDo(ctx, entry, options)) {
    const refreshed = await refreshInstead(ctx, entry);
    if (refreshed) {
      const wired = wireUp(ctx, entry, rewrite, fromProject);
      out.success(`${name}: the server refreshed the login, no browser needed; ${howCodexGetsIt(wired)} (use --force to log in again through the browser)`);
      return { ...report(refreshed, wired), status: 'refreshed' };
    }
  }
  const grant = await loginServer(ctx, config, entry, options, secret);
  if (!grant) {
    ctx.store.markOpen(name, ctx.now());
    out.info(`${out.color.dim('-')} ${name}: needs no authorization, nothing to do`);
    return { server: name, status: 'no-authorization-needed' };
  }
  const wired = wireUp(ctx, entry, rewrite, fromProject);
  const validUntil = expiryDate(grant);
  // The time alone for a token that ends today; a longer one also needs its date.
  const sameDay = validUntil?.toDateString() === new Date(ctx.now()).toDateString();
  const expiry = validUntil ? `, token valid until ${sameDay ? validUntil.toLocaleTimeString() : validUntil.toLocaleString()}` : '';
  const account = tokenAccount(grant.tokens);
  out.success(`${name}: logged in at ${grant.issuer}${account ? ` as ${terminalText(account)}` : ''}${expiry}; ${howCodexGetsIt(wired)}`);
  return report(grant, wired);
}

export async function runLogin(ctx: CliContext, options: LoginOptions): Promise<number> {
  const { out } = ctx;
  checkUnattendedOptions(options);
  requireOneServerForClient(options);
  const secret = clientSecretFrom(ctx, options.clientSecretEnv);
  const { config, names, fromProject } = withProjectEntries(readCodexConfig(ctx.configPath), options);
  if (names.length === 0) {
    out.info(`No remote MCP servers in ${config.path}. Add one with: codex mcp add <name> --url <url>`);
    if (options.json) out.printJson({ ok: true, servers: [] });
    return 0;
  }
  const rewrite: RewriteSettings = { force: options.force, now: ctx.now(), plan: wiringPlan(ctx, codexInUse(ctx).version) };
  const results = await eachServer(ctx, names, (name) => loginOne(ctx, config, name, options, secret, rewrite, fromProject.get(name)));
  printSummary(ctx, results, 'ready');
  if (options.json) out.printJson({ ok: !results.some(isFailure), servers: results });
  return batchExitCode(results);
}
