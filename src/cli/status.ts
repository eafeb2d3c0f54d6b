// `codex-auth status [--json]`: what codex-auth knows about each server in the
// Codex config. Never prints a token.
import { existsSync } from 'node:fs';
import { readCodexConfig } from '../codex/config.ts';
import { isOurVar } from '../codex/apply.ts';
import type { Grant } from '../oauth/flow.ts';
import type { ServerState } from '../store/state.ts';
import type { CliContext } from './context.ts';

export interface ServerStatus {
  name: string;
  transport: 'remote' | 'stdio' | 'invalid';
  url?: string;
  authorization: 'required' | 'unknown';
  loggedIn: boolean;
  issuer?: string;
  scopes?: string[];
  audience?: string | string[];
  expiresInSeconds?: number;
  refreshable?: boolean;
  envVar?: string;
  rewritten: boolean;
  userTokenVar?: string;
  problem?: string;
}

export interface StatusReport {
  config: string;
  stateDir: string;
  envFile: string;
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
    refreshable: grant.tokens.refreshToken !== undefined,
  };
}

export function collectStatus(ctx: CliContext): StatusReport {
  const config = existsSync(ctx.configPath) ? readCodexConfig(ctx.configPath) : undefined;
  const states = new Map(ctx.store.knownServers().map((state) => [state.serverName, state]));
  const servers = (config?.servers ?? []).map((entry): ServerStatus => {
    const state = states.get(entry.name);
    const ours = isOurVar(entry, state?.rewrite?.varName);
    return {
      name: entry.name,
      transport: entry.kind,
      ...(entry.url ? { url: entry.url } : {}),
      authorization: state?.grant || state?.needsLogin ? 'required' : 'unknown',
      loggedIn: false,
      ...(entry.kind === 'remote' ? describeGrant(state, entry.url, ctx.now()) : {}),
      ...(state?.rewrite ? { envVar: state.rewrite.varName } : {}),
      rewritten: ours,
      ...(entry.bearerTokenEnvVar && !ours ? { userTokenVar: entry.bearerTokenEnvVar } : {}),
    };
  });
  return { config: ctx.configPath, stateDir: ctx.paths.home, envFile: ctx.paths.envFile, servers };
}

function humanExpiry(seconds: number | undefined): string {
  if (seconds === undefined) return 'expiry unknown';
  if (seconds <= 0) return 'expired';
  if (seconds < 120) return `expires in ${seconds}s`;
  if (seconds < 7200) return `expires in ${Math.round(seconds / 60)} min`;
  return `expires in ${Math.round(seconds / 3600)} h`;
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
  ctx.out.print(`env file: ${report.envFile}  (load with: set -a; . ${report.envFile}; set +a)`);
  if (report.servers.length === 0) ctx.out.print('no MCP servers in the config');
  for (const server of report.servers) {
    ctx.out.print('');
    if (server.transport !== 'remote') {
      ctx.out.print(`${color.bold(server.name)}  ${color.dim(`${server.transport} server, nothing to authorize`)}`);
      continue;
    }
    const state = server.loggedIn ? color.green('logged in') : server.userTokenVar ? color.dim(`uses your ${server.userTokenVar}`) : color.yellow('not logged in');
    ctx.out.print(`${color.bold(server.name)}  ${state}  ${color.dim(server.url ?? '')}`);
    if (server.loggedIn) {
      ctx.out.print(`  issuer:   ${server.issuer}`);
      ctx.out.print(`  audience: ${[server.audience].flat().join(', ')}`);
      ctx.out.print(`  scopes:   ${server.scopes?.join(' ') ?? '(none granted explicitly)'}`);
      ctx.out.print(`  token:    ${humanExpiry(server.expiresInSeconds)}${server.refreshable ? ', refreshable' : ', no refresh token: log in again when it expires'}`);
    }
    if (server.envVar) ctx.out.print(`  env var:  ${server.envVar}${server.rewritten ? '' : color.yellow(' (config entry not pointing at it)')}`);
    if (server.problem) ctx.out.print(`  ${color.yellow('problem:')}  ${server.problem}; run codex-auth login ${server.name}`);
    else if (!server.loggedIn && !server.userTokenVar) ctx.out.print(`  next:     codex-auth login ${server.name}`);
  }
  return 0;
}
