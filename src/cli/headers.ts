// `codex-auth headers <name>`: the command Codex runs for an entry's headers (http_headers_helper).
// It prints exactly {"Authorization":"Bearer <token>"} and exits 0, or prints one line on stderr
// and exits non-zero. Codex runs it for every new thread (in its background server too) and again
// after a 401, with a cleared environment, so the command line names the config file and the
// state directory. It refreshes under the same policy and lock as everything else.
import { statSync, writeSync } from 'node:fs';
import { footprintHolds, type LayerFootprint } from '../codex/layer-footprint.ts';
import type { LayeredEntry } from '../codex/layers.ts';
import { isProjectSource, projectUrlRefusal } from '../codex/project-url.ts';
import { CodexAuthError } from '../errors.ts';
import type { Grant } from '../oauth/flow.ts';
import { mayBeRetry, readHandouts, tokenFingerprint, writeHandouts, type CheckedConfig, type HandoutFile } from '../session/handout.ts';
import { ensureFresh, settledWithoutRefresh, type Freshness, type FreshnessDeps } from '../session/fresh.ts';
import { hasExpired, type RefreshPolicy } from '../session/policy.ts';
import { shellWord } from '../shell.ts';
import type { CliContext } from './context.ts';

export interface HeadersOptions {
  name: string;
}

const ON_REQUEST: RefreshPolicy = { use: 'request' };

/**
 * Codex gives up on a helper after about 10 s and says only that it timed out. The helper keeps
 * within that on its own, so that it can still hand out a token that works or say what went
 * wrong: at most 3 s for the server's token check, 3 s waiting for another process's refresh and
 * 3 s for its own refresh request.
 */
const REQUEST_AT_MOST_MS = 3_000;
const LOCK_WAIT_AT_MOST_MS = 3_000;

export async function runHeaders(ctx: CliContext, options: HeadersOptions): Promise<number> {
  const { name } = options;
  const handouts = readHandouts(ctx.paths, name);
  let result: { token: string; config: CheckedConfig };
  try {
    result = await currentToken(ctx, name, handouts);
  } catch (error) {
    return reportToCodex(ctx, name, error);
  }
  try {
    writeHandouts(ctx.paths, name, { last: { token: tokenFingerprint(result.token), at: ctx.now() }, config: result.config });
  } catch {
    // Only the retry check and the config note lose their memory; Codex still gets its token.
  }
  printExactly(ctx, JSON.stringify({ Authorization: `Bearer ${result.token}` }));
  return 0;
}

/** Straight to file descriptor 1 when it is this process's own: Node's stdout stream costs more to set up than the rest. */
function printExactly(ctx: CliContext, text: string): void {
  if (ctx.streams === process) writeSync(1, text);
  else ctx.streams.stdout.write(text);
}

interface LoadedEntry {
  entry: LayeredEntry;
  layers: LayerFootprint;
}

/**
 * The entry's url as Codex uses it in `cwd` (the thread's directory): config.toml's, or a trusted
 * project's `.codex/config.toml` over it. The token must never go to another server, but parsing
 * the config costs more than the rest of a call: the url checked last time is used while
 * config.toml's size, modification and change times and inode are unchanged, and so is everything
 * the project layers were decided on (layer-footprint.ts); the files are read again otherwise.
 */
async function entryUrl(ctx: CliContext, checked: CheckedConfig | undefined, cwd: string, entry: () => Promise<LoadedEntry>): Promise<CheckedConfig> {
  const { size, mtimeMs, ctimeMs, ino } = statSync(ctx.configPath, { throwIfNoEntry: false }) ?? { size: -1, mtimeMs: -1, ctimeMs: -1, ino: -1 };
  const userConfigSame = checked && checked.size === size && checked.mtimeMs === mtimeMs && checked.ctimeMs === ctimeMs && checked.ino === ino;
  if (userConfigSame && footprintHolds(checked.layers, cwd)) return checked;
  // Reading the files reports a missing or broken config, or a missing entry, clearly.
  const { entry: found, layers } = await entry();
  return { size, mtimeMs, ctimeMs, ino, url: found.url!, source: found.source, layers };
}

async function currentToken(ctx: CliContext, name: string, handouts: HandoutFile): Promise<{ token: string; config: CheckedConfig }> {
  const cwd = process.cwd();
  let loaded: LoadedEntry | undefined;
  const loadEntry = async () => {
    const [{ findServer, readCodexConfig }, { layeredConfig }] = await Promise.all([import('../codex/config.ts'), import('../codex/layers.ts')]);
    if (loaded) return loaded;
    const user = readCodexConfig(ctx.configPath);
    const layered = layeredConfig(user, cwd);
    // findServer's clear errors (no such entry, stdio, bad url), for the entry as Codex merges it here.
    const entry = findServer({ ...user, servers: layered.servers }, name) as LayeredEntry;
    return (loaded = { entry, layers: layered.project.footprint });
  };
  const config = await entryUrl(ctx, handouts.config, cwd, loadEntry);
  const { url } = config;
  const deps = { store: ctx.store, paths: ctx.paths, now: ctx.now, lockWaitAtMostMs: LOCK_WAIT_AT_MOST_MS };
  const http = async () => {
    const [{ httpClientFor }, { resolveHeaders }] = await Promise.all([import('./http-client.ts'), import('../codex/config.ts')]);
    const client = httpClientFor(ctx, resolveHeaders((await loadEntry()).entry, ctx.env));
    return { ...client, timeoutMs: Math.min(client.timeoutMs, REQUEST_AT_MOST_MS) };
  };
  const grantOf = (freshness: Freshness) => usable(freshness, name, ctx.now(), config, ctx.configPath);
  const seen = settledWithoutRefresh(deps, name, url, ON_REQUEST) ?? (await freshOrStillWorking(ctx, { ...deps, http: await http() }, name, url));
  let grant = grantOf(seen);
  if (mayBeRetry(handouts.last, grant.tokens.accessToken, ctx.now(), grant.tokens.expiresAt !== undefined)) {
    // Codex may be asking again because the server just refused this token: it retries only
    // when the headers change, so ask the server, and refresh if it does refuse the token.
    const client = await http();
    const { serverRejectsToken } = await import('../session/token-check.ts');
    if (await serverRejectsToken(url, grant.tokens.accessToken, client)) {
      grant = grantOf(await freshOrStillWorking(ctx, { ...deps, http: client }, name, url, grant.tokens.accessToken));
    }
  }
  return { token: grant.tokens.accessToken, config };
}

/**
 * ensureFresh, except that a refresh another process holds up past the helper's wait leaves the
 * token on disk in use while it has not expired (and is not the one the server just refused):
 * the other process's new token reaches Codex with its next request for headers.
 */
async function freshOrStillWorking(ctx: CliContext, deps: FreshnessDeps, name: string, url: string, rejectedToken?: string): Promise<Freshness> {
  try {
    return await ensureFresh(deps, name, url, ON_REQUEST, rejectedToken);
  } catch (error) {
    const grant = error instanceof CodexAuthError && error.step === 'lock' ? ctx.store.server(name).grant : undefined;
    const stillWorking = grant && grant.mcpUrl === url && grant.tokens.accessToken !== rejectedToken && !hasExpired(grant, ctx.now());
    if (stillWorking) return { status: 'fresh', grant };
    throw error;
  }
}

/** The grant to hand out, or the reason there is none. A token that could not be refreshed is still used while it lasts. */
function usable(freshness: Freshness, name: string, now: number, config: CheckedConfig, userConfig: string): Grant {
  if (freshness.status === 'needs-login') {
    if (freshness.loggedInFor !== undefined && isProjectSource(config.source, userConfig)) throw projectUrlRefusal(name, config.url, config.source, freshness.loggedInFor, 'headers');
    throw new CodexAuthError({ kind: 'notLoggedIn', step: 'headers', server: name, message: freshness.reason, hint: `codex-auth login ${shellWord(name)}` });
  }
  if (freshness.status === 'stale' && hasExpired(freshness.grant, now)) throw freshness.error;
  return freshness.grant;
}

/**
 * One line on stderr, and the same kept for `status`: Codex shows only "helper exited with
 * status N" (the exit codes are codex-auth's documented ones), never the helper's own words.
 */
function reportToCodex(ctx: CliContext, name: string, error: unknown): number {
  const known = error instanceof CodexAuthError ? error : undefined;
  const message = known ? `${known.message.replace(/\.$/, '')}${known.hint ? `; next: ${known.hint}` : ''}` : `unexpected failure: ${error instanceof Error ? error.message : String(error)}`;
  const exitCode = known?.exitCode ?? 1;
  ctx.out.info(`codex-auth: ${name}: ${message}`);
  try {
    const { config: _recheck, ...kept } = readHandouts(ctx.paths, name);
    writeHandouts(ctx.paths, name, { ...kept, failure: { at: ctx.now(), message, exitCode } });
  } catch {
    // The state directory itself may be what failed; the exit code still tells Codex.
  }
  return exitCode;
}
