// Turns what oauth4webapi throws into CodexAuthError: the step, what the
// server said (error + error_description, never a secret) and a hint.
import { OperationProcessingError, RESPONSE_IS_NOT_CONFORM, ResponseBodyError, WWWAuthenticateChallengeError } from 'oauth4webapi';
import { CodexAuthError, type Step } from '../errors.ts';
import { formatDuration, kindForStep } from './http.ts';

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
    const hint = context.hintFor?.(refusal.error) ?? busyServerHint(responseOf(error), context.step) ?? (refusal.status >= 500 ? SERVER_PROBLEM : context.hint);
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
      hint: busyServerHint(responseOf(error), context.step) ?? (status >= 500 ? SERVER_PROBLEM : (context.hint ?? 'Tell the server operator.')),
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

/** The answer behind what oauth4webapi threw, when it keeps one. */
function responseOf(error: unknown): Response | undefined {
  if (error instanceof ResponseBodyError || error instanceof WWWAuthenticateChallengeError) return error.response;
  if (error instanceof OperationProcessingError && error.cause instanceof Response) return error.cause;
  return undefined;
}

/** Longest Retry-After shown as a wait; beyond it, the server is not saying anything useful. */
const MAX_RETRY_AFTER_MS = 24 * 3600 * 1000;

/**
 * The next step after an answer that means "not now": 429 (RFC 6585), or a 5xx with Retry-After
 * (RFC 9110 §10.2.3, in seconds or as a date). Waiting is the next step, never logging in again
 * (a new login meets the same limit) nor checking the address (a gateway's plain-text 429 is no
 * wrong address). A failed refresh keeps the grant and its refresh token, which the hint says.
 */
export function busyServerHint(response: Response | undefined, step: Step): string | undefined {
  if (response === undefined) return undefined;
  const { status } = response;
  const wait = retryAfterMs(response.headers.get('retry-after'));
  if (status !== 429 && !(status >= 500 && wait !== undefined)) return undefined;
  const what = status === 429 ? 'The server is limiting requests (HTTP 429)' : `The server is unavailable (HTTP ${status})`;
  const when = wait === undefined ? 'try again in a minute or so' : `try again in ${formatDuration(wait)}, as it asks (Retry-After)`;
  return `${what}; ${when}.${step === 'refresh' ? ' Nothing was lost: the login is kept.' : ''}`;
}

/** Retry-After as a wait in ms, rounded up to whole seconds; undefined when absent, past or unreadable. */
function retryAfterMs(value: string | null): number | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  const ms = /^\d+$/.test(text) ? Number(text) * 1000 : Date.parse(text) - Date.now();
  if (!Number.isFinite(ms) || ms <= 0 || ms > MAX_RETRY_AFTER_MS) return undefined;
  return Math.ceil(ms / 1000) * 1000;
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
