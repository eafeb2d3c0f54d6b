// `codex-auth status [--json]`: what codex-auth knows about each server in the
// Codex config. Never prints a token.
import { existsSync } from 'node:fs';
import { findBackgroundServer } from '../codex/background.ts';
import { readCodexConfig, tomlKey } from '../codex/config.ts';
import { layeredConfig } from '../codex/layers.ts';
import { codexHome } from '../codex/home.ts';
import { currentWiring, isOurHelper, isOurVar } from '../codex/wiring.ts';
import { hasFeature } from '../codex/versions.ts';
import { describeAssertionSource } from '../oauth/assertion-source.ts';
import type { Grant } from '../oauth/flow.ts';
import { readHandouts } from '../session/handout.ts';
import { canRenew } from '../session/policy.ts';
import type { ServerState, Wiring } from '../store/state.ts';
import { shellCommand, shellWord } from '../shell.ts';
import type { CliContext } from './context.ts';
import { codexInUse, wiringPlan } from './wiring.ts';

export interface ServerStatus {
  name: string;
  /** The config file its url comes from: the user's config.toml or a trusted project's `.codex/config.toml`. */
  source: string;
  transport: 'remote' | 'stdio' | 'invalid';
  url?: string;
  /** `enabled = false` in config.toml: Codex does not start it, and `login` without names skips it. */
  enabled: boolean;
  authorization: 'required' | 'unknown';
  loggedIn: boolean;
  issuer?: string;
  scopes?: string[];
  audience?: string | string[];
  expiresInSeconds?: number;
  refreshable?: boolean;
  /** A login with no person: the grant its token is renewed with, and where that grant's credentials come from. */
  grant?: string;
  credentials?: string;
  envVar?: string;
  /** How the entry hands Codex the token now: Codex runs codex-auth's helper, or reads envVar. */
  wiring?: Wiring;
  /** The Codex version that wiring was chosen for. */
  wiredFor?: string;
  rewritten: boolean;
  /** Logged in and the entry wired to codex-auth: Codex will get the token. */
  wired: boolean;
  userTokenVar?: string;
  /** The last time Codex asked the helper and got no headers (Codex itself shows only an exit status). */
  helperFailure?: { at: string; message: string; exitCode: number };
  /** config.toml's helper line names another node, codex-auth, config or state directory than this install's (something moved). */
  helperElsewhere?: boolean;
  problem?: string;
}

export interface CodexStatus {
  path?: string;
  version?: string;
  /** This Codex runs http_headers_helper (0.152 and later). */
  runsHelper: boolean;
  /** This Codex runs the helper but refuses the Authorization it returns (0.148 to 0.151): only launches through run work. */
  refusesHelper: boolean;
  /** Codex's shared background server for this CODEX_HOME, when one runs. */
  backgroundServer?: {
    pid: number;
    /** codex-auth variables in its environment, left by an older setup; a restart clears them. */
    staleVariables: string[];
  };
}

export interface StatusReport {
  config: string;
  stateDir: string;
  envFile: string;
  codex: CodexStatus;
  servers: ServerStatus[];
}

/** The audience the server will see: the JWT's `aud` when the token is a JWT, else the requested resource. */
function audienceOf(grant: Grant): string | string[] {
  const parts = grant.tokens.accessToken.split('.');
  if (parts.length === 3 && parts[1]) {
    try {
      const claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as { aud?: string | string[] };
      if (claims.aud !== undefined) return claims.aud;
    } catch {
      // Not a JWT: fall through to the resource it was requested for.
    }
  }
  return grant.resource;
}

function describeGrant(state: ServerState | undefined, url: string | undefined, now: number): Partial<ServerStatus> {
  const grant = state?.grant;
  if (!grant) return { loggedIn: false, ...(state?.needsLogin ? { problem: state.needsLogin.reason } : {}) };
  if (grant.mcpUrl !== url) return { loggedIn: false, problem: `logged in for ${grant.mcpUrl}, but the config now says ${url}` };
  return {
    loggedIn: true,
    authorization: 'required',
    issuer: grant.issuer,
    ...(grant.tokens.scopes?.length ? { scopes: grant.tokens.scopes } : {}),
    audience: audienceOf(grant),
    ...(grant.tokens.expiresAt !== undefined ? { expiresInSeconds: Math.round((grant.tokens.expiresAt - now) / 1000) } : {}),
    refreshable: canRenew(grant),
    ...(grant.unattended ? { grant: grant.unattended.grant, credentials: describeCredentials(grant) } : {}),
  };
}

/** Where a login with no person gets its client's credentials each time it renews; never the secret itself. */
export function describeCredentials(grant: Grant): string {
  const { client } = grant;
  const { assertion: source, idp } = grant.unattended ?? {};
  const jwt = source ? `; ${idp ? 'ID token' : 'JWT'} from ${describeAssertionSource(source)}` : '';
  const assertion = idp ? `${jwt}, exchanged at the IdP ${idp.tokenEndpoint} as client ${idp.clientId}` : jwt;
  if (client.privateKey) return `client ${client.clientId}, private key ${client.privateKey.path} (private_key_jwt, ${client.privateKey.alg}), read at every renewal${assertion}`;
  if (client.clientSecret) return `client ${client.clientId}, secret (${client.tokenEndpointAuthMethod}) copied at login into codex-auth's state (0600)${assertion}`;
  return `client ${client.clientId} (no client authentication)${assertion}`;
}

/**
 * Variables the background server holds that no longer serve it: a token for an entry now wired
 * to the helper (unused, but a secret left in a process), or an older token than the current one.
 */
function staleVariables(variables: Record<string, string>, states: ServerState[]): string[] {
  return Object.entries(variables).flatMap(([name, value]) => {
    const state = states.find((candidate) => candidate.rewrite?.varName === name);
    const current = state?.rewrite?.wiring !== 'helper' ? state?.grant?.tokens.accessToken : undefined;
    return value === current ? [] : [name];
  });
}

function collectCodex(ctx: CliContext, states: ServerState[]): CodexStatus {
  const { file, version } = codexInUse(ctx);
  const server = findBackgroundServer(codexHome(ctx.env));
  return {
    ...(file ? { path: file } : {}),
    ...(version ? { version } : {}),
    runsHelper: file !== undefined && hasFeature(version, 'headersHelper'),
    refusesHelper: file !== undefined && hasFeature(version, 'helperKey') && !hasFeature(version, 'headersHelper'),
    ...(server ? { backgroundServer: { pid: server.pid, staleVariables: staleVariables(server.codexAuthVariables ?? {}, states) } } : {}),
  };
}

function helperFailureOf(ctx: CliContext, name: string): Pick<ServerStatus, 'helperFailure'> {
  const failure = readHandouts(ctx.paths, name).failure;
  return failure ? { helperFailure: { at: new Date(failure.at).toISOString(), message: failure.message, exitCode: failure.exitCode } } : {};
}

export function collectStatus(ctx: CliContext): StatusReport {
  const config = existsSync(ctx.configPath) ? readCodexConfig(ctx.configPath) : undefined;
  const known = ctx.store.knownServers();
  const states = new Map(known.map((state) => [state.serverName, state]));
  const codex = collectCodex(ctx, known);
  const thisHelper = wiringPlan(ctx, codex.version).helperCommand;
  // The entries Codex uses from here: a trusted project's `.codex/config.toml` merged over the user's.
  const entries = config ? layeredConfig(config, process.cwd()).servers : [];
  const servers = entries.map((entry): ServerStatus => {
    const state = states.get(entry.name);
    const wiring = currentWiring(entry, state?.rewrite);
    const ours = wiring !== undefined && state?.rewrite !== undefined;
    const grant = entry.kind === 'remote' ? describeGrant(state, entry.url, ctx.now()) : {};
    return {
      name: entry.name,
      source: entry.source,
      transport: entry.kind,
      ...(entry.url ? { url: entry.url } : {}),
      enabled: entry.enabled,
      authorization: state?.grant || state?.needsLogin ? 'required' : 'unknown',
      loggedIn: false,
      ...grant,
      ...(state?.rewrite ? { envVar: state.rewrite.varName } : {}),
      ...(ours ? { wiring } : {}),
      ...(state?.rewrite?.decidedFor ? { wiredFor: state.rewrite.decidedFor } : {}),
      rewritten: ours,
      wired: grant.loggedIn === true && ours,
      ...(entry.bearerTokenEnvVar && !isOurVar(entry, state?.rewrite?.varName) ? { userTokenVar: entry.bearerTokenEnvVar } : {}),
      ...(entry.httpHeadersHelper && !isOurHelper(entry, state?.rewrite?.helperCommand) ? { userTokenVar: `http_headers_helper` } : {}),
      ...(ours && wiring === 'helper' ? helperFailureOf(ctx, entry.name) : {}),
      ...(ours && wiring === 'helper' && entry.httpHeadersHelper !== thisHelper(entry.name) ? { helperElsewhere: true } : {}),
    };
  });
  return { config: ctx.configPath, stateDir: ctx.paths.home, envFile: ctx.paths.envFile, codex, servers };
}

/** How the entry's token reaches Codex, in words, for the Codex that `codex` starts here. */
function describeWiring(server: ServerStatus, codex: CodexStatus): string {
  const decided = server.wiredFor ? ` (chosen for Codex ${server.wiredFor})` : '';
  if (server.wiring === 'helper') {
    const older = codex.refusesHelper
      ? `; codex ${codex.version ?? ''} runs it but refuses its Authorization, so start it through codex-auth run (the alias): a plain codex fails to start the server`
      : codex.path !== undefined && !codex.runsHelper ? `; codex ${codex.version ?? ''} predates it, so codex-auth run passes the token per launch` : '';
    return `Codex runs codex-auth headers (http_headers_helper)${decided}${older}`;
  }
  const newer = codex.runsHelper ? `; codex ${codex.version ?? ''} can run the helper instead: ${loginCommand()} switches the entry (then IDEs and the desktop app get the token too)` : '';
  return `Codex reads ${server.envVar} from its environment (bearer_token_env_var)${decided}; codex-auth run puts it there or in front of a proxy${newer}`;
}

function humanExpiry(seconds: number | undefined): string {
  if (seconds === undefined) return 'expiry unknown';
  if (seconds <= 0) return 'expired';
  if (seconds < 120) return `expires in ${seconds}s`;
  if (seconds < 7200) return `expires in ${Math.round(seconds / 60)} min`;
  return `expires in ${Math.round(seconds / 3600)} h`;
}

function loginCommand(name?: string): string {
  return shellCommand(['codex-auth', 'login', ...(name === undefined ? [] : [name])]);
}

export function runStatus(ctx: CliContext, options: { json: boolean }): number {
  const report = collectStatus(ctx);
  if (options.json) {
    ctx.out.printJson(report);
    return 0;
  }
  const { color } = ctx.out;
  ctx.out.print(`config:   ${report.config}${existsSync(report.config) ? '' : color.yellow(' (missing)')}`);
  ctx.out.print(`state:    ${report.stateDir}`);
  ctx.out.print(`env file: ${report.envFile}  (load with: set -a; . ${shellWord(report.envFile)}; set +a)`);
  const { codex } = report;
  ctx.out.print(`codex:    ${codex.path ? `${codex.version ?? 'unknown version'} at ${codex.path}` : color.yellow('not found on PATH')}`);
  const background = codex.backgroundServer;
  if (background) {
    const stale = background.staleVariables;
    ctx.out.print(`          background server running (pid ${background.pid})${stale.length === 0 ? '' : color.yellow(`, started with ${stale.join(', ')} in its environment from an older setup`)}`);
    if (stale.length > 0) ctx.out.print('  next:     codex app-server daemon restart   (from a shell without those variables)');
  }
  if (report.servers.length === 0) ctx.out.print('no MCP servers in the config');
  for (const server of report.servers) {
    ctx.out.print('');
    if (server.transport === 'invalid') {
      // Codex refuses the whole file over such an entry: that is a problem to fix, not a server kind.
      ctx.out.print(`${color.bold(server.name)}  ${color.yellow('invalid entry')}: it has both a url and a command, or neither; Codex rejects config.toml until it has exactly one`);
      ctx.out.print(`  next:     fix [mcp_servers.${tomlKey(server.name)}] in ${shellWord(server.source)} (a name with a dot is quoted: [mcp_servers."my.server"])`);
      continue;
    }
    if (server.transport !== 'remote') {
      ctx.out.print(`${color.bold(server.name)}  ${color.dim(`${server.transport} server, nothing to authorize`)}`);
      continue;
    }
    const state = server.loggedIn ? color.green('logged in') : server.userTokenVar ? color.dim(`uses your ${server.userTokenVar}`) : color.yellow('not logged in');
    const disabled = server.enabled ? '' : `  ${color.dim('(disabled in config.toml)')}`;
    ctx.out.print(`${color.bold(server.name)}  ${state}${disabled}  ${color.dim(server.url ?? '')}`);
    if (server.source !== report.config) ctx.out.print(`  from:     ${server.source}`);
    if (server.loggedIn) {
      ctx.out.print(`  issuer:   ${server.issuer}`);
      ctx.out.print(`  audience: ${[server.audience].flat().join(', ')}`);
      ctx.out.print(`  scopes:   ${server.scopes?.join(' ') ?? '(none granted explicitly)'}`);
      if (server.grant) ctx.out.print(`  grant:    ${server.grant}, no person needed; ${server.credentials}`);
      const renewal = server.grant ? `, renewed with ${server.grant} when due` : server.refreshable ? ', refreshable' : ', no refresh token: log in again when it expires';
      ctx.out.print(`  token:    ${humanExpiry(server.expiresInSeconds)}${renewal}`);
    }
    if (server.rewritten) ctx.out.print(`  codex:    ${describeWiring(server, codex)}`);
    else if (server.envVar) ctx.out.print(`  codex:    ${color.yellow('the config entry is not wired to codex-auth')}`);
    if (server.helperElsewhere) {
      ctx.out.print(`  ${color.yellow('helper:')}   config.toml runs it with another node or codex-auth than this one (moved or upgraded?)`);
      ctx.out.print(`  next:     ${loginCommand()}  (rewrites the line for this install, no browser needed)`);
    }
    if (server.helperFailure) ctx.out.print(`  ${color.yellow('helper:')}   failed at ${server.helperFailure.at} (exit ${server.helperFailure.exitCode}): ${server.helperFailure.message}`);
    if (server.problem) ctx.out.print(`  ${color.yellow('problem:')}  ${server.problem}; run ${loginCommand(server.name)}`);
    else if (server.loggedIn && !server.wired && !server.userTokenVar) {
      ctx.out.print(`  ${color.yellow('problem:')}  the config entry is not wired up, so Codex does not get the token`);
      ctx.out.print(`  next:     ${loginCommand()}  (finishes the wiring, no browser needed)`);
    } else if (!server.loggedIn && !server.userTokenVar && server.enabled) ctx.out.print(`  next:     ${loginCommand(server.name)}`);
  }
  return 0;
}
