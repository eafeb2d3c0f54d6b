// Turns what oauth4webapi throws into CodexAuthError: the step, what the
// server said (error + error_description, never a secret) and a hint.
import { OperationProcessingError, RESPONSE_IS_NOT_CONFORM, ResponseBodyError, WWWAuthenticateChallengeError } from 'oauth4webapi';
import { CodexAuthError, type Step } from '../errors.ts';
import { kindForStep } from './http.ts';

/** Longest server text shown: an error description is a sentence, not a document. */
const SERVER_TEXT_LENGTH = 300;

export function describeServerError(error: string, description?: string): string {
  const said = description ? `${error}: ${description}` : error;
  return said.length > SERVER_TEXT_LENGTH ? `${said.slice(0, SERVER_TEXT_LENGTH)}…` : said;
}

/** The first CodexAuthError in an error's cause chain (oauth4webapi wraps body read failures). */
export function findCodexAuthError(error: unknown): CodexAuthError | undefined {
  for (let current = error, depth = 0; current !== undefined && depth < 5; depth++) {
    if (current instanceof CodexAuthError) return current;
    current = current instanceof Error ? current.cause : undefined;
  }
  return undefined;
}

const SERVER_PROBLEM = 'The server has a problem; try again later.';

export interface FailureContext {
  step: Step;
  /** What was attempted, e.g. "Dynamic client registration at https://as/register". */
  action: string;
  hint?: string;
  /** A better hint for a specific OAuth error code. */
  hintFor?: (error: string) => string | undefined;
}

export function toCodexAuthError(error: unknown, context: FailureContext): CodexAuthError {
  const known = findCodexAuthError(error);
  if (known) return known;
  const kind = kindForStep(context.step);
  const refusal = serverRefusal(error);
  if (refusal) {
    const hint = context.hintFor?.(refusal.error) ?? (refusal.status >= 500 ? SERVER_PROBLEM : context.hint);
    return new CodexAuthError({
      kind,
      step: context.step,
      message: `${context.action} was refused (HTTP ${refusal.status}).`,
      serverSaid: describeServerError(refusal.error, refusal.description),
      ...(hint ? { hint } : {}),
      cause: error,
    });
  }
  const status = unexpectedStatus(error);
  if (status !== undefined) {
    return new CodexAuthError({
      kind,
      step: context.step,
      message: `${context.action} failed: HTTP ${status}, without an OAuth error in the answer.`,
      hint: status >= 500 ? SERVER_PROBLEM : (context.hint ?? 'Tell the server operator.'),
      cause: error,
    });
  }
  const reason = error instanceof Error ? error.message : String(error);
  return new CodexAuthError({
    kind,
    step: context.step,
    message: `${context.action} failed: ${reason}.`,
    ...(context.hint ? { hint: context.hint } : {}),
    cause: error,
  });
}

/** The status of an answer oauth4webapi refused for its HTTP status alone (a 5xx, or a 4xx without `error`). */
function unexpectedStatus(error: unknown): number | undefined {
  if (error instanceof OperationProcessingError && error.code === RESPONSE_IS_NOT_CONFORM && error.cause instanceof Response) return error.cause.status;
  return undefined;
}

interface Refusal {
  status: number;
  error: string;
  description?: string;
}

/** The OAuth error code (`invalid_grant`, …) a server refused with, from the body or a WWW-Authenticate challenge. */
export function oauthErrorCode(error: unknown): string | undefined {
  return serverRefusal(error)?.error;
}

function serverRefusal(error: unknown): Refusal | undefined {
  if (error instanceof ResponseBodyError) {
    return withDescription({ status: error.status, error: error.error }, error.error_description);
  }
  if (error instanceof WWWAuthenticateChallengeError) {
    const params = error.cause.find((challenge) => challenge.parameters.error)?.parameters;
    return withDescription(
      { status: error.status, error: params?.error ?? `${error.cause[0]?.scheme ?? 'unknown'} authentication required` },
      params?.error_description,
    );
  }
  return undefined;
}

function withDescription(refusal: Refusal, description: string | undefined): Refusal {
  return description ? { ...refusal, description } : refusal;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
