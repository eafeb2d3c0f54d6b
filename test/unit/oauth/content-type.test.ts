import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeContentType, isJsonContentType, requireJsonResponse } from '../../../src/oauth/content-type.ts';
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
