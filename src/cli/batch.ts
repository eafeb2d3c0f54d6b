// Commands that act on several servers (login, logout, doctor) go on past a failing one: each
// failure is reported as it happens, the rest still run, a summary follows, and the exit code is
// the first failure's. Every server gets a result, so --json is a complete document even then.
import { CodexAuthError, ExitCode, type Step } from '../errors.ts';
import { shellCommand } from '../shell.ts';
import type { CliContext } from './context.ts';

export interface ServerFailure {
  server: string;
  status: 'failed';
  error: { step: Step | 'unexpected'; message: string; serverSaid?: string; hint?: string; exitCode: number };
}

/** A failure as data; anything that is not a CodexAuthError is an unexpected failure (exit 1), never a bare stack. */
export function describeFailure(server: string, error: unknown): ServerFailure {
  if (error instanceof CodexAuthError) {
    return {
      server,
      status: 'failed',
      error: {
        step: error.step,
        message: error.message,
        ...(error.serverSaid ? { serverSaid: error.serverSaid } : {}),
        ...(error.hint ? { hint: error.hint } : {}),
        exitCode: error.exitCode,
      },
    };
  }
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return { server, status: 'failed', error: { step: 'unexpected', message: `unexpected failure: ${message}`, hint: 'run again with --debug, and report it if it persists', exitCode: ExitCode.failure } };
}

/**
 * Runs `work` for each server in turn; a failure is printed (unless printing is left to the caller)
 * and recorded, and the next server runs.
 */
export async function eachServer<T>(
  ctx: CliContext,
  names: string[],
  work: (name: string) => Promise<T>,
  options: { printFailures?: boolean } = {},
): Promise<Array<T | ServerFailure>> {
  const results: Array<T | ServerFailure> = [];
  for (const name of names) {
    try {
      results.push(await work(name));
    } catch (error) {
      if (options.printFailures !== false) {
        if (error instanceof CodexAuthError) ctx.out.error(error.forServer(name));
        else {
          ctx.out.info(`error: ${name}: ${describeFailure(name, error).error.message}`);
          if (ctx.out.debugEnabled && error instanceof Error && error.stack) ctx.out.info(error.stack);
        }
      }
      results.push(describeFailure(name, error));
    }
  }
  return results;
}

export function isFailure(result: unknown): result is ServerFailure {
  return typeof result === 'object' && result !== null && (result as { status?: unknown }).status === 'failed';
}

/** 0 when every server succeeded, else the first failure's exit code. */
export function batchExitCode(results: unknown[]): number {
  return results.find(isFailure)?.error.exitCode ?? ExitCode.ok;
}

function isSkipped(result: unknown): boolean {
  const status = typeof result === 'object' && result !== null ? (result as { status?: unknown }).status : undefined;
  return typeof status === 'string' && status.startsWith('skipped-');
}

/**
 * With more than one server, one line saying how many succeeded ("2 of 3 servers logged out"), which
 * failed, and which were skipped (a disabled entry is not counted as ready).
 */
export function printSummary(ctx: CliContext, results: unknown[], outcome: string): void {
  if (results.length < 2) return;
  const failed = results.filter(isFailure);
  const skipped = results.filter(isSkipped).map((result) => (result as { server: string }).server);
  const counted = results.length - skipped.length;
  const skippedText = skipped.length > 0 ? `; skipped: ${skipped.join(', ')}` : '';
  if (counted === 0) {
    ctx.out.info(`${ctx.out.color.dim('-')} every server skipped: ${skipped.join(', ')}`);
    return;
  }
  if (failed.length === 0) {
    const servers = counted === 1 ? '1 server' : `${counted === results.length ? 'all ' : ''}${counted} servers`;
    ctx.out.success(`${servers} ${outcome}${skippedText}`);
    return;
  }
  const done = counted - failed.length;
  ctx.out.info(`${ctx.out.color.red('✗')} ${done} of ${counted} ${counted === 1 ? 'server' : 'servers'} ${outcome}; failed: ${failed.map((failure) => failure.server).join(', ')}${skippedText}`);
}

/** A server name that neither codex-auth's state nor config.toml knows: a typo, not "nothing to do". */
export function unknownServerError(name: string): CodexAuthError {
  return new CodexAuthError({
    kind: 'config',
    step: 'state',
    server: name,
    message: `codex-auth knows nothing of ${name}, and config.toml has no server of that name`,
    hint: `see ${shellCommand(['codex-auth', 'status'])} for the servers it knows`,
  });
}
