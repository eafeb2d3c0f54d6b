// How a command's failure reaches the person: a CodexAuthError prints its message, what the
// server said and the next step; anything else is an unexpected failure (stack only with --debug).
// With --json, a failure before the command printed its document prints one of its own on stdout
// (`{ "ok": false, "error": { ... } }`), so a script always gets valid JSON.
import { CodexAuthError, ExitCode } from '../errors.ts';
import { describeFailure } from './batch.ts';
import type { CliContext } from './context.ts';

/** The JSON document of a command that failed as a whole (not one server of several). */
export function failureDocument(error: unknown): { ok: false; error: Record<string, unknown> } {
  const server = error instanceof CodexAuthError ? error.server : undefined;
  return { ok: false, error: { ...(server ? { server } : {}), ...describeFailure(server ?? '', error).error } };
}

export function reportFailure(ctx: CliContext, error: unknown, debug: boolean): number {
  if (ctx.out.json && !ctx.out.wroteJson) ctx.out.printJson(failureDocument(error));
  if (error instanceof CodexAuthError) {
    ctx.out.error(error);
    return error.exitCode;
  }
  const message = error instanceof Error ? error.message : String(error);
  ctx.out.info(`error: unexpected failure: ${message}`);
  if (debug && error instanceof Error && error.stack) ctx.out.info(error.stack);
  else ctx.out.info('  next: run again with --debug for details, and report it if it persists');
  return ExitCode.failure;
}
