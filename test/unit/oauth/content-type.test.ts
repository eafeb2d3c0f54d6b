import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeContentType, isJsonContentType, requireJsonResponse } from '../../../src/oauth/content-type.ts';
import { busyServerHint } from '../../../src/oauth/failures.ts';
import { assertCodexAuthError } from './fake-fetch.ts';

const answer = (status: number, headers: Record<string, string>) => new Response('{}', { status, headers });

describe('isJsonContentType', () => {
  for (const type of ['application/json', 'application/json; charset=utf-8', 'Application/JSON', 'application/problem+json', 'application/jwk-set+json;q=1']) {
    it(`accepts ${type}`, () => assert.equal(isJsonContentType(type), true));
  }
  for (const type of [null, '', 'text/plain', 'text/html; charset=utf-8', 'application/jsonp', 'text/json-ish', 'application/x-www-form-urlencoded']) {
    it(`refuses ${String(type)}`, () => assert.equal(isJsonContentType(type), false));
  }
});

describe('describeContentType', () => {
  it('names what came back in words a person reads', () => {
    assert.equal(describeContentType('text/html; charset=utf-8'), 'an HTML page (text/html)');
    assert.equal(describeContentType('text/plain'), 'plain text (text/plain)');
    assert.equal(describeContentType('application/xml'), 'application/xml content');
    assert.equal(describeContentType(null), 'a body without a content type');
  });
});

describe('requireJsonResponse', () => {
  it('lets JSON through whatever the status, so OAuth errors are still read', () => {
    requireJsonResponse(answer(200, { 'content-type': 'application/json' }), 'token-exchange', 'Exchanging');
    requireJsonResponse(answer(400, { 'content-type': 'application/json;charset=UTF-8' }), 'token-exchange', 'Exchanging');
  });

  it('refuses anything else, naming the step, the status and what came back', () => {
    assert.throws(
      () => requireJsonResponse(answer(500, { 'content-type': 'text/html' }), 'token-exchange', 'Exchanging the code at https://as/token'),
      (error: unknown) =>
        assertCodexAuthError(error, { kind: 'token', step: 'token-exchange', message: /^Exchanging the code at https:\/\/as\/token failed: HTTP 500, an HTML page \(text\/html\) instead of JSON\.$/ }),
    );
    assert.throws(
      () => requireJsonResponse(answer(200, { 'content-type': 'text/plain' }), 'resource-metadata', 'Reading'),
      (error: unknown) => assertCodexAuthError(error, { kind: 'discovery', step: 'resource-metadata', message: /HTTP 200, plain text/ }),
    );
  });

  it('leaves a 401 challenge to the caller: its error is in WWW-Authenticate (RFC 6749 §5.2)', () => {
    requireJsonResponse(answer(401, { 'content-type': 'text/html', 'www-authenticate': 'Basic error="invalid_client"' }), 'token-exchange', 'Exchanging');
    assert.throws(() => requireJsonResponse(answer(401, { 'content-type': 'text/html' }), 'token-exchange', 'Exchanging'), /HTTP 401/);
  });
});

describe('busyServerHint: the wait a 429 or a 5xx with Retry-After asks for', () => {
  const busy = (status: number, retryAfter?: string) => new Response(null, { status, headers: retryAfter === undefined ? {} : { 'retry-after': retryAfter } });

  it('reads Retry-After in seconds or as a date, and says a failed refresh keeps the login', () => {
    assert.equal(busyServerHint(busy(429, '30'), 'refresh'), 'The server is limiting requests (HTTP 429); try again in 30 s, as it asks (Retry-After). Nothing was lost: the login is kept.');
    const inTwoMinutes = new Date(Date.now() + 119_500).toUTCString();
    assert.match(busyServerHint(busy(503, inTwoMinutes), 'token-exchange') ?? '', /^The server is unavailable \(HTTP 503\); try again in (2 min|119 s|1\d\d s), as it asks \(Retry-After\)\.$/);
  });

  it('says "a minute or so" for a 429 without a usable Retry-After (absent, past, unreadable, over a day)', () => {
    for (const value of [undefined, new Date(Date.now() - 60_000).toUTCString(), 'soon', String(3 * 24 * 3600)]) {
      assert.equal(busyServerHint(busy(429, value), 'token-exchange'), 'The server is limiting requests (HTTP 429); try again in a minute or so.', String(value));
    }
  });

  it('has nothing to say about other answers: a 5xx without Retry-After, a 4xx, a success', () => {
    for (const response of [busy(500), busy(503), busy(400, '30'), busy(200, '30')]) assert.equal(busyServerHint(response, 'refresh'), undefined);
    assert.equal(busyServerHint(undefined, 'refresh'), undefined);
  });
});
