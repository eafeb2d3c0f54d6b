// How a command's failure reaches the person: a CodexAuthError prints its message, what the
// server said and the next step; anything else is an unexpected failure (stack only with --debug).
import { CodexAuthError, ExitCode } from '../errors.ts';
import type { CliContext } from './context.ts';

export function reportFailure(ctx: CliContext, error: unknown, debug: boolean): number {
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
