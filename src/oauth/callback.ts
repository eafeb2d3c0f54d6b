// The authorization response: a loopback listener open just for the login
// (RFC 8252 §7.3), a pasted redirect URL as the fallback, and validation of
// what came back (state, error=, RFC 9207 iss).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AuthorizationResponseError, validateAuthResponse, type AuthorizationServer } from 'oauth4webapi';
import { CodexAuthError } from '../errors.ts';
import { describeServerError } from './failures.ts';
import { parseUrl } from './http.ts';
import { oauthClient, type ClientRecord } from './registration.ts';

/** What marks the authorization response of this login: its state, and its issuer when it names one (RFC 9207). */
export interface ExpectedResponse {
  state: string;
  issuer: string;
}

export interface CallbackListener {
  redirectUri: string;
  port: number;
  /**
   * Sets the login the listener waits for. Until then, and for any request without this state (or
   * with another issuer), the answer is 400 and the listener keeps waiting: the port is visible to
   * every local user, and only the browser that ran this login knows the state.
   */
  expect(response: ExpectedResponse): void;
  /** Resolves with the full callback URL (query included) of the one request served on the path. */
  waitForCallback(signal?: AbortSignal): Promise<URL>;
  close(): Promise<void>;
}

const LOOPBACK = '127.0.0.1';

/** Why a request to the callback path is not this login's response; undefined when it is. */
function mismatch(params: URLSearchParams, expected: ExpectedResponse | undefined): string | undefined {
  const states = params.getAll('state');
  if (expected === undefined || states.length !== 1 || states[0] !== expected.state) return "it does not carry this login's state";
  const issuers = params.getAll('iss');
  if (issuers.length > 1 || (issuers.length === 1 && issuers[0] !== expected.issuer)) return `it names another issuer than ${expected.issuer}`;
  return undefined;
}

export async function listenForCallback(input: { port?: number; path?: string; onIgnored?: (reason: string) => void } = {}): Promise<CallbackListener> {
  const path = input.path ?? '/callback';
  let settle: { resolve: (url: URL) => void; reject: (error: unknown) => void } | undefined;
  const callback = new Promise<URL>((resolve, reject) => {
    settle = { resolve, reject };
  });
  callback.catch(() => undefined); // a login abandoned before anyone waits must not crash the process
  let served = false;
  let expected: ExpectedResponse | undefined;

  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', `http://${LOOPBACK}`);
    if (served || request.method !== 'GET' || url.pathname !== path) {
      respond(response, 404, 'Not found', 'Nothing to see here.');
      return;
    }
    const ignored = mismatch(url.searchParams, expected);
    if (ignored !== undefined) {
      respond(response, 400, 'Not this login', 'This address does not carry the response to the login in progress; it was ignored.');
      input.onIgnored?.(`ignored a request to the callback address: ${ignored} (HTTP 400); still waiting`);
      return;
    }
    served = true;
    const failed = url.searchParams.has('error');
    response.on('finish', () => void close());
    respond(
      response,
      200,
      failed ? 'Authorization failed' : 'Authorization complete',
      failed
        ? 'The authorization server did not grant access. Return to the terminal for details.'
        : 'You can close this tab and return to the terminal.',
    );
    settle?.resolve(new URL(`${url.pathname}${url.search}`, `http://${LOOPBACK}:${port}`));
  });

  const port = await listen(server, input.port ?? 0);
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= new Promise<void>((resolve) => {
      settle?.reject(new CodexAuthError({ kind: 'authorization', step: 'callback', message: 'The login was stopped before the browser came back.' }));
      server.close(() => resolve());
      server.closeAllConnections();
    });
    return closing;
  };

  return {
    redirectUri: `http://${LOOPBACK}:${port}${path}`,
    port,
    expect: (response) => {
      expected = response;
    },
    waitForCallback: (signal) => (signal ? raceAbort(callback, signal) : callback),
    close,
  };
}

function listen(server: ReturnType<typeof createServer>, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        new CodexAuthError({
          kind: 'authorization',
          step: 'callback',
          message:
            error.code === 'EADDRINUSE'
              ? `Port ${port} on ${LOOPBACK} is already in use, so the login callback cannot be received there.`
              : `Could not open the login callback listener on ${LOOPBACK}:${port}: ${error.message}.`,
          hint: error.code === 'EADDRINUSE' ? 'Stop the program using that port, or choose another callback port.' : undefined,
          cause: error,
        }),
      );
    });
    server.listen(port, LOOPBACK, () => resolve((server.address() as AddressInfo).port));
  });
}

/** Whether a listener failed only because its port was taken (the caller may pick another). */
export function isPortTaken(error: unknown): boolean {
  return error instanceof CodexAuthError && (error.cause as NodeJS.ErrnoException | undefined)?.code === 'EADDRINUSE';
}

function raceAbort(promise: Promise<URL>, signal: AbortSignal): Promise<URL> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** A static page: nothing from the request is echoed, so nothing can be injected. */
function respond(response: ServerResponse<IncomingMessage>, status: number, title: string, text: string): void {
  const body = `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title></head><body><h1>${title}</h1><p>${text}</p></body></html>`;
  response.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'referrer-policy': 'no-referrer',
    connection: 'close',
  });
  response.end(body);
}

/**
 * The URL the person copied from the browser bar after authorizing (when the
 * browser runs elsewhere). It must be the redirect URI (same origin and path)
 * with the response in its query.
 */
export function parsePastedRedirect(text: string, redirectUri: string): URL {
  const expected = new URL(redirectUri);
  const pasted = parseUrl(text.trim());
  if (!pasted || pasted.origin !== expected.origin || pasted.pathname !== expected.pathname) {
    throw new CodexAuthError({
      kind: 'authorization',
      step: 'callback',
      message: `That is not the redirect URL: paste the whole address the browser ended on (it starts with ${redirectUri}).`,
    });
  }
  if (!pasted.searchParams.has('code') && !pasted.searchParams.has('error')) {
    throw new CodexAuthError({
      kind: 'authorization',
      step: 'callback',
      message: 'That address carries no authorization response (no code= or error=); copy it again after the browser finishes.',
    });
  }
  return pasted;
}

/**
 * state exactly; RFC 9207: a present iss must equal the recorded issuer
 * byte for byte, and must be present when the server advertises it. On an
 * issuer problem the response's own error text is never shown.
 */
export function validateCallback(as: AuthorizationServer, client: ClientRecord, callback: URL, expectedState: string): URLSearchParams {
  let params: URLSearchParams;
  try {
    params = validateAuthResponse(as, oauthClient(client), callback, expectedState);
  } catch (error) {
    throw callbackFailure(as, callback.searchParams, expectedState, error);
  }
  assertSingleCode(params);
  return params;
}

/** A response with neither error nor exactly one code is unusable; nothing is sent to the token endpoint. */
function assertSingleCode(params: URLSearchParams): void {
  const codes = params.getAll('code');
  if (codes.length === 1 && codes[0] !== '') return;
  throw new CodexAuthError({
    kind: 'authorization',
    step: 'callback',
    message:
      codes.length > 1
        ? 'The authorization response carries more than one code; it was discarded unused.'
        : 'The authorization response carries no code (and no error); there is nothing to exchange.',
    hint: 'Start the login again; if it keeps happening, tell the server operator.',
  });
}

function callbackFailure(as: AuthorizationServer, params: URLSearchParams, expectedState: string, error: unknown): CodexAuthError {
  const fail = (message: string, hint: string) => new CodexAuthError({ kind: 'authorization', step: 'callback', message, hint, cause: error });
  const issuers = params.getAll('iss');
  if (issuers.length > 1 || (issuers.length === 1 && issuers[0] !== as.issuer)) {
    return fail(
      `The authorization response names a different issuer than ${as.issuer}; it was discarded unused (mix-up protection, RFC 9207).`,
      'Start the login again, and make sure no other login is running in the same browser.',
    );
  }
  // A response of another login (a wrong state) is never read further: its error text may be anyone's.
  const states = params.getAll('state');
  const stateMismatch = () =>
    fail(
      'The authorization response does not belong to this login (state mismatch): a stale or truncated URL; it was discarded.',
      'Start the login again, use only the newest browser tab, and paste the whole address.',
    );
  if (states.length > 1 || (states.length === 1 && states[0] !== expectedState)) return stateMismatch();
  // A denial without any state can only be pasted by the person (the listener wants the state): shown.
  const denial = params.get('error');
  if (denial !== null || error instanceof AuthorizationResponseError) {
    const code = error instanceof AuthorizationResponseError ? error.error : denial!;
    const description = error instanceof AuthorizationResponseError ? error.error_description : (params.get('error_description') ?? undefined);
    return new CodexAuthError({
      kind: 'authorization',
      step: 'callback',
      message: 'The authorization server did not grant access.',
      serverSaid: describeServerError(code, description),
      hint: authorizationErrorHint(code),
      cause: error,
    });
  }
  // Checked before a missing iss: a pasted URL cut short loses both, and the state is what tells.
  if (states.length === 0) return stateMismatch();
  if (issuers.length === 0 && as.authorization_response_iss_parameter_supported === true) {
    return fail(
      `The authorization response lacks the iss parameter that ${as.issuer} promises to send; it was discarded unused (RFC 9207).`,
      'Start the login again; if it keeps happening, tell the server operator.',
    );
  }
  return fail(`The authorization response is malformed: ${error instanceof Error ? error.message : String(error)}.`, 'Start the login again.');
}

function authorizationErrorHint(error: string): string {
  switch (error) {
    case 'access_denied':
      return 'Access was declined. Run the login again and approve it.';
    case 'invalid_scope':
      return 'The server refused the requested scopes; pass the scopes it supports explicitly.';
    case 'invalid_target':
      return 'The server refused the resource indicator; check oauth_resource, or ask the server operator which resource to use.';
    case 'unauthorized_client':
    case 'invalid_client':
      return 'The server does not accept this client; configure a client id registered with it.';
    default:
      return 'Run the login again; if it keeps failing, tell the server operator.';
  }
}
