import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import type { AuthorizationServer } from 'oauth4webapi';
import { listenForCallback, parsePastedRedirect, validateCallback } from '../../../src/oauth/callback.ts';
import type { ClientRecord } from '../../../src/oauth/registration.ts';
import { assertCodexAuthError } from './fake-fetch.ts';

describe('listenForCallback', () => {
  it('binds 127.0.0.1, answers 404 elsewhere, serves one callback, then closes', async (t) => {
    const listener = await listenForCallback({});
    t.after(() => listener.close());
    listener.expect({ state: 'xyz', issuer: 'https://as.example.com' });
    assert.equal(listener.redirectUri, `http://127.0.0.1:${listener.port}/callback`);
    const favicon = await fetch(`http://127.0.0.1:${listener.port}/favicon.ico`);
    assert.equal(favicon.status, 404);
    await favicon.body?.cancel();
    const page = await fetch(`${listener.redirectUri}?code=abc&state=xyz`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /You can close this tab and return to the terminal/);
    const received = await listener.waitForCallback();
    assert.equal(received.href, `${listener.redirectUri}?code=abc&state=xyz`);
    await listener.close();
    await assert.rejects(fetch(listener.redirectUri), /fetch failed/);
  });

  it('binds 127.0.0.1 only, not every interface', async (t) => {
    const listener = await listenForCallback({ path: '/cb' });
    t.after(() => listener.close());
    const blocker = createServer();
    t.after(() => blocker.close());
    // The port is taken only on 127.0.0.1: binding the same port on another loopback address works.
    await new Promise<void>((resolve, reject) => {
      blocker.once('error', reject);
      blocker.listen(listener.port, '127.0.0.2', resolve);
    });
    assert.equal((blocker.address() as AddressInfo).address, '127.0.0.2');
  });

  it('shows an error page without echoing the error text', async (t) => {
    const listener = await listenForCallback({});
    t.after(() => listener.close());
    listener.expect({ state: 's', issuer: 'https://as.example.com' });
    const page = await fetch(`${listener.redirectUri}?error=access_denied&error_description=%3Cscript%3Ealert(1)%3C/script%3E&state=s`);
    const html = await page.text();
    assert.match(html, /Authorization failed/);
    assert.doesNotMatch(html, /script|access_denied/);
    assert.equal((await listener.waitForCallback()).searchParams.get('error'), 'access_denied');
  });

  it("answers 400 to a request without this login's state or with another issuer, and keeps waiting for the right one", async (t) => {
    const ignored: string[] = [];
    const listener = await listenForCallback({ onIgnored: (reason) => ignored.push(reason) });
    t.after(() => listener.close());
    const early = await fetch(`${listener.redirectUri}?code=a&state=guess`);
    assert.equal(early.status, 400, 'nothing is taken before the login has a state');
    await early.body?.cancel();
    listener.expect({ state: 's1', issuer: 'https://as.example.com' });
    const waiting = listener.waitForCallback();
    for (const query of ['error=access_denied&error_description=%1B%5B2Jowned&state=guess', 'error=access_denied', 'code=a&state=s1&state=s1', 'code=a&state=s1&iss=https%3A%2F%2Fevil.example']) {
      const page = await fetch(`${listener.redirectUri}?${query}`);
      assert.equal(page.status, 400, query);
      assert.doesNotMatch(await page.text(), /owned|access_denied/);
    }
    assert.deepEqual(ignored, [
      "ignored a request to the callback address: it does not carry this login's state (HTTP 400); still waiting",
      "ignored a request to the callback address: it does not carry this login's state (HTTP 400); still waiting",
      "ignored a request to the callback address: it does not carry this login's state (HTTP 400); still waiting",
      "ignored a request to the callback address: it does not carry this login's state (HTTP 400); still waiting",
      'ignored a request to the callback address: it names another issuer than https://as.example.com (HTTP 400); still waiting',
    ]);
    const right = await fetch(`${listener.redirectUri}?code=good&state=s1&iss=${encodeURIComponent('https://as.example.com')}`);
    assert.equal(right.status, 200);
    await right.body?.cancel();
    assert.equal((await waiting).searchParams.get('code'), 'good');
  });

  it('reports a taken port clearly', async (t) => {
    const first = await listenForCallback({});
    t.after(() => first.close());
    await assert.rejects(listenForCallback({ port: first.port }), (error) =>
      assertCodexAuthError(error, { kind: 'authorization', step: 'callback', message: new RegExp(`Port ${first.port} on 127.0.0.1 is already in use`) }),
    );
  });

  it('stops waiting when aborted or closed', async () => {
    const listener = await listenForCallback({});
    const controller = new AbortController();
    const waiting = listener.waitForCallback(controller.signal);
    controller.abort(new Error('cancelled'));
    await assert.rejects(waiting, /cancelled/);
    const pending = listener.waitForCallback();
    await listener.close();
    await assert.rejects(pending, (error) => assertCodexAuthError(error, { step: 'callback' }));
  });
});

describe('parsePastedRedirect', () => {
  const redirect = 'http://127.0.0.1:5000/callback';
  it('accepts the browser address of the redirect', () => {
    assert.equal(parsePastedRedirect(`  ${redirect}?code=a&state=b \n`, redirect).searchParams.get('code'), 'a');
    assert.equal(parsePastedRedirect(`${redirect}?error=access_denied&state=b`, redirect).searchParams.get('error'), 'access_denied');
  });
  for (const pasted of ['http://localhost:5000/callback?code=a', 'http://127.0.0.1:5001/callback?code=a', 'http://127.0.0.1:5000/other?code=a', 'https://evil.example/callback?code=a', 'code=a', `${redirect}?state=b`]) {
    it(`rejects ${pasted}`, () => {
      assert.throws(() => parsePastedRedirect(pasted, redirect), (error) => assertCodexAuthError(error, { kind: 'authorization', step: 'callback' }));
    });
  }
});

describe('validateCallback', () => {
  const issuer = 'https://as.example.com';
  const client: ClientRecord = { issuer, clientId: 'c', tokenEndpointAuthMethod: 'none', redirectUris: [], source: 'dynamic', createdAt: 0 };
  const advertised: AuthorizationServer = { issuer, authorization_response_iss_parameter_supported: true };
  const silent: AuthorizationServer = { issuer };
  const callback = (query: string) => new URL(`http://127.0.0.1:1/callback?${query}`);
  const iss = encodeURIComponent(issuer);

  it('returns the parameters when state and iss match', () => {
    assert.equal(validateCallback(advertised, client, callback(`code=abc&state=s1&iss=${iss}`), 's1').get('code'), 'abc');
  });
  it('proceeds without iss when the server does not advertise it', () => {
    assert.equal(validateCallback(silent, client, callback('code=abc&state=s1'), 's1').get('code'), 'abc');
  });
  it('rejects a missing iss when advertised', () => {
    assert.throws(() => validateCallback(advertised, client, callback('code=abc&state=s1'), 's1'), (e) => assertCodexAuthError(e, { step: 'callback', message: /lacks the iss/ }));
  });
  for (const [name, server] of [['advertised', advertised], ['not advertised', silent]] as const) {
    it(`rejects a mismatched iss (${name}) without showing the response's error text`, () => {
      const url = callback(`error=access_denied&error_description=evil%20text&state=s1&iss=${encodeURIComponent('https://evil.example')}`);
      assert.throws(() => validateCallback(server, client, url, 's1'), (e) => assertCodexAuthError(e, { kind: 'authorization', message: /different issuer/, noServerSaid: true }));
    });
  }
  it('compares iss without normalisation (trailing slash, case)', () => {
    for (const variant of [`${issuer}/`, 'https://AS.example.com']) {
      assert.throws(() => validateCallback(advertised, client, callback(`code=a&state=s1&iss=${encodeURIComponent(variant)}`), 's1'), (e) => assertCodexAuthError(e, { message: /different issuer/ }));
    }
  });
  it('rejects a wrong or missing state', () => {
    for (const query of ['code=a&state=other', 'code=a', 'code=a&state=s1&state=s1']) {
      assert.throws(() => validateCallback(silent, client, callback(query), 's1'), (e) => assertCodexAuthError(e, { message: /state mismatch/, noServerSaid: true }));
    }
  });
  it('rejects a response with no code (and no error), or with more than one, at the callback step', () => {
    for (const [query, message] of [
      [`state=s1&iss=${iss}`, /carries no code \(and no error\)/],
      [`code=&state=s1&iss=${iss}`, /carries no code/],
      [`code=a&code=b&state=s1&iss=${iss}`, /more than one code/],
    ] as const) {
      assert.throws(() => validateCallback(advertised, client, callback(query), 's1'), (e) => assertCodexAuthError(e, { kind: 'authorization', step: 'callback', message }));
    }
  });
  it("never shows the error text of a response with another login's state", () => {
    const url = callback(`error=access_denied&error_description=evil%20text&state=other&iss=${iss}`);
    assert.throws(() => validateCallback(advertised, client, url, 's1'), (e) => assertCodexAuthError(e, { message: /state mismatch/, noServerSaid: true }));
  });
  it('reports error= with what the server said', () => {
    assert.throws(
      () => validateCallback(advertised, client, callback(`error=access_denied&error_description=User%20said%20no&state=s1&iss=${iss}`), 's1'),
      (e) => assertCodexAuthError(e, { kind: 'authorization', step: 'callback', serverSaid: /^access_denied: User said no$/ }),
    );
  });
});
