// Metadata, registration and token answers must say they are JSON. oauth4webapi
// parses any body that happens to be JSON, so an HTML error page or a
// misconfigured proxy would otherwise be read, or misreported, as OAuth.
import { CodexAuthError, type Step } from '../errors.ts';
import { busyServerHint } from './failures.ts';
import { kindForStep } from './http.ts';

/** The media type without parameters, lower-cased; undefined when there is none. */
function mediaType(contentType: string | null): string | undefined {
  const type = contentType?.split(';')[0]?.trim().toLowerCase();
  return type ? type : undefined;
}

/** application/json, or any structured +json type (RFC 6839), parameters allowed. */
export function isJsonContentType(contentType: string | null): boolean {
  const type = mediaType(contentType);
  return type === 'application/json' || (type !== undefined && /^[\w.+-]+\/[\w.+-]+\+json$/.test(type));
}

/** What came back instead of JSON, for messages: "an HTML page (text/html)". */
export function describeContentType(contentType: string | null): string {
  const type = mediaType(contentType);
  if (type === undefined) return 'a body without a content type';
  if (type === 'text/html' || type === 'application/xhtml+xml') return `an HTML page (${type})`;
  if (type === 'text/plain') return `plain text (${type})`;
  return `${type} content`;
}

/**
 * Refuses an answer that does not declare JSON, naming the step, the HTTP status
 * and what came back. `action` says what was attempted ("Client registration at …").
 * A 401 with a WWW-Authenticate challenge carries its error in the header
 * (RFC 6749 §5.2), so its body is left to the caller.
 */
export function requireJsonResponse(response: Response, step: Step, action: string): void {
  const contentType = response.headers.get('content-type');
  if (isJsonContentType(contentType)) return;
  if (response.status === 401 && response.headers.has('www-authenticate')) return;
  throw new CodexAuthError({
    kind: kindForStep(step),
    step,
    message: `${action} failed: HTTP ${response.status}, ${describeContentType(contentType)} instead of JSON.`,
    hint:
      busyServerHint(response, step) ??
      (response.status >= 500
        ? 'The server has a problem; try again later, and tell the server operator if it persists.'
        : 'Check that the address points at the OAuth server itself (not a web page or a proxy), and tell the server operator.'),
  });
}
