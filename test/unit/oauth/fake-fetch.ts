// A scripted fetch for the OAuth engine's unit tests: answers by "METHOD URL"
// and records every request (URL, headers, body) in order.
import assert from 'node:assert/strict';
import { CodexAuthError } from '../../../src/errors.ts';
import { createHttpClient, type HttpClient } from '../../../src/oauth/http.ts';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: Headers;
  body: string;
}

export type Responder = (request: RecordedRequest) => Response | Promise<Response>;

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
}

export function notFound(): Response {
  return new Response('not found', { status: 404 });
}

export function fakeFetch(routes: Record<string, Responder>) {
  const requests: RecordedRequest[] = [];
  const fetch = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const request: RecordedRequest = {
      method: init.method ?? 'GET',
      url: String(input),
      headers: new Headers(init.headers),
      body: init.body === undefined || init.body === null ? '' : String(init.body),
    };
    requests.push(request);
    const route = routes[`${request.method} ${request.url}`];
    return route ? route(request) : notFound();
  };
  return { fetch: fetch as typeof globalThis.fetch, requests, urls: () => requests.map((r) => `${r.method} ${r.url}`) };
}

export function httpWith(routes: Record<string, Responder>, extra: Partial<HttpClient> = {}) {
  const fake = fakeFetch(routes);
  return { ...fake, http: createHttpClient({ fetch: fake.fetch, ...extra }) };
}

/** Authorization-server metadata that passes validation, with overrides. */
export function asMetadata(issuer: string, extra: Record<string, unknown> = {}) {
  return {
    issuer,
    authorization_endpoint: `${issuer}/authorize`,
    token_endpoint: `${issuer}/token`,
    registration_endpoint: `${issuer}/register`,
    code_challenge_methods_supported: ['S256'],
    ...extra,
  };
}

export interface ExpectedFailure {
  kind?: string;
  step?: string;
  message?: RegExp;
  serverSaid?: RegExp;
  /** serverSaid must be absent (e.g. an issuer mismatch must not show the response's error text). */
  noServerSaid?: boolean;
}

/** Checks a CodexAuthError (sync or async) field by field. */
export function assertCodexAuthError(error: unknown, expected: ExpectedFailure): true {
  assert.ok(error instanceof CodexAuthError, `expected CodexAuthError, got ${String(error)}`);
  if (expected.kind) assert.equal(error.kind, expected.kind);
  if (expected.step) assert.equal(error.step, expected.step);
  if (expected.message) assert.match(error.message, expected.message);
  if (expected.serverSaid) assert.match(error.serverSaid ?? '', expected.serverSaid);
  if (expected.noServerSaid) assert.equal(error.serverSaid, undefined);
  return true;
}

export function rejectsWith(promise: Promise<unknown>, expected: ExpectedFailure): Promise<void> {
  return assert.rejects(promise, (error: unknown) => assertCodexAuthError(error, expected));
}
