// `codex-auth headers <name>`: the command Codex runs for an entry's headers (http_headers_helper).
// It prints exactly {"Authorization":"Bearer <token>"} and exits 0, or prints one line on stderr
// and exits non-zero. Codex runs it for every new thread (in its background server too) and again
// after a 401, with a cleared environment, so the command line names the config file and the
// state directory. It refreshes under the same policy and lock as everything else.
import { writeSync } from 'node:fs';
import { findServer, readCodexConfig, resolveHeaders } from '../codex/config.ts';
import { CodexAuthError } from '../errors.ts';
import type { Grant } from '../oauth/flow.ts';
import { mayBeRetry, readHandouts, tokenFingerprint, writeHandouts } from '../session/handout.ts';
import { ensureFresh, settledWithoutRefresh, type Freshness } from '../session/fresh.ts';
import { hasExpired, type RefreshPolicy } from '../session/policy.ts';
import { shellWord } from '../shell.ts';
import type { CliContext } from './context.ts';

export interface HeadersOptions {
  name: string;
}

const ON_REQUEST: RefreshPolicy = { use: 'request' };

export async function runHeaders(ctx: CliContext, options: HeadersOptions): Promise<number> {
  const { name } = options;
  let token: string;
  try {
    token = await currentToken(ctx, name);
  } catch (error) {
    return reportToCodex(ctx, name, error);
  }
  try {
    writeHandouts(ctx.paths, name, { last: { token: tokenFingerprint(token), at: ctx.now() } });
  } catch {
    // Only the retry check loses its memory; Codex still gets its token.
  }
  printExactly(ctx, JSON.stringify({ Authorization: `Bearer ${token}` }));
  return 0;
}

/** Straight to file descriptor 1 when it is this process's own: Node's stdout stream costs more to set up than the rest. */
function printExactly(ctx: CliContext, text: string): void {
  if (ctx.streams === process) writeSync(1, text);
  else ctx.streams.stdout.write(text);
}

async function currentToken(ctx: CliContext, name: string): Promise<string> {
  const entry = findServer(readCodexConfig(ctx.configPath), name);
  const url = entry.url!;
  const deps = { store: ctx.store, paths: ctx.paths, now: ctx.now };
  const http = async () => (await import('./http-client.ts')).httpClientFor(ctx, resolveHeaders(entry, ctx.env));
  const seen = settledWithoutRefresh(deps, name, url, ON_REQUEST) ?? (await ensureFresh({ ...deps, http: await http() }, name, url, ON_REQUEST));
  let grant = usable(seen, name, ctx.now());
  const previous = readHandouts(ctx.paths, name).last;
  if (mayBeRetry(previous, grant.tokens.accessToken, ctx.now(), grant.tokens.expiresAt !== undefined)) {
    // Codex may be asking again because the server just refused this token: it retries only
    // when the headers change, so ask the server, and refresh if it does refuse the token.
    const client = await http();
    const { serverRejectsToken } = await import('../session/token-check.ts');
    if (await serverRejectsToken(url, grant.tokens.accessToken, client)) {
      grant = usable(await ensureFresh({ ...deps, http: client }, name, url, ON_REQUEST, grant.tokens.accessToken), name, ctx.now());
    }
  }
  return grant.tokens.accessToken;
}

/** The grant to hand out, or the reason there is none. A token that could not be refreshed is still used while it lasts. */
function usable(freshness: Freshness, name: string, now: number): Grant {
  if (freshness.status === 'needs-login') {
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
  const message = known ? `${known.message}${known.hint ? `; next: ${known.hint}` : ''}` : `unexpected failure: ${error instanceof Error ? error.message : String(error)}`;
  const exitCode = known?.exitCode ?? 1;
  ctx.out.info(`codex-auth: ${name}: ${message}`);
  try {
    writeHandouts(ctx.paths, name, { ...readHandouts(ctx.paths, name), failure: { at: ctx.now(), message, exitCode } });
  } catch {
    // The state directory itself may be what failed; the exit code still tells Codex.
  }
  return exitCode;
}
