// The HttpClient every command builds: kept apart from context.ts so that commands
// which never touch the network do not load the OAuth engine.
import { setFlagsFromString } from 'node:v8';
import { createHttpClient, type HttpClient } from '../oauth/http.ts';
import type { CliContext } from './context.ts';

// Node's fetch parses HTTP with a WebAssembly module (undici's llhttp), which V8 then optimizes
// again in the background, and a process cannot exit before that is done: about 140 ms after
// the last answer, on every command that makes a request (the header helper's token check too).
// V8's baseline code parses a few small answers just as well. Set before the first fetch.
setFlagsFromString('--liftoff-only');

/** `CODEX_AUTH_HTTP_TIMEOUT_MS` overrides the per-request timeout (tests use it; so can slow networks). */
export function httpTimeoutFromEnv(env: NodeJS.ProcessEnv): number | undefined {
  const value = Number(env.CODEX_AUTH_HTTP_TIMEOUT_MS);
  return Number.isInteger(value) && value > 0 ? value : undefined;
}

/** The HttpClient every command uses: the context's fetch, the debug trail and the timeout override. */
export function httpClientFor(ctx: CliContext, headers: Record<string, string>, fetchImpl: typeof fetch = ctx.fetch): HttpClient {
  const timeoutMs = httpTimeoutFromEnv(ctx.env);
  return createHttpClient({ fetch: fetchImpl, headers, debug: (line) => ctx.out.debug(line), ...(timeoutMs ? { timeoutMs } : {}) });
}
