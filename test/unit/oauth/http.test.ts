import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { bodyExcerpt, createHttpClient, formatDuration, isAllowedUrl, redactUrl, send } from '../../../src/oauth/http.ts';
import { httpWith, json, rejectsWith } from './fake-fetch.ts';

describe('http: which URLs may be fetched', () => {
  it('allows https anywhere and http only on loopback', () => {
    for (const ok of ['https://example.com/x', 'http://127.0.0.1:8080/', 'http://127.9.9.9/', 'http://localhost:3000/', 'http://[::1]:80/']) {
      assert.equal(isAllowedUrl(new URL(ok)), true, ok);
    }
    for (const refused of ['http://example.com/', 'http://128.0.0.1/', 'http://localhost.evil.com/', 'ftp://example.com/', 'file:///etc/passwd']) {
      assert.equal(isAllowedUrl(new URL(refused)), false, refused);
    }
  });

  it('refuses http to a non-loopback host before sending anything', async () => {
    const { http, requests } = httpWith({});
    await rejectsWith(send(http, 'resource-metadata', 'http://example.com/.well-known/x'), { kind: 'discovery', step: 'resource-metadata', message: /only https/ });
    assert.equal(requests.length, 0);
  });
});

describe('http: redirects', () => {
  it('does not follow a redirect to another host and names the Location', async () => {
    const { http, requests } = httpWith({
      'GET https://mcp.example.com/.well-known/oauth-protected-resource': () =>
        new Response(null, { status: 302, headers: { location: 'https://evil.example.net/metadata' } }),
    });
    await rejectsWith(send(http, 'resource-metadata', 'https://mcp.example.com/.well-known/oauth-protected-resource'), {
      kind: 'discovery',
      message: /https:\/\/evil\.example\.net\/metadata, another host/,
    });
    assert.equal(requests.length, 1);
  });

  it('asks fetch for manual redirects', async () => {
    let seen: RequestInit['redirect'];
    const http = createHttpClient({
      fetch: async (_input, init) => {
        seen = init?.redirect;
        return json({});
      },
    });
    await send(http, 'probe', 'https://mcp.example.com/mcp');
    assert.equal(seen, 'manual');
  });
});

describe('http: failures become network errors', () => {
  it('times out a server that never answers', async () => {
    const http = createHttpClient({
      timeoutMs: 50,
      fetch: (_input, init) =>
        new Promise((_, reject) => init?.signal?.addEventListener('abort', () => reject(init.signal?.reason), { once: true })),
    });
    await rejectsWith(send(http, 'token-exchange', 'https://as.example.com/token'), { kind: 'network', step: 'token-exchange', message: /did not answer within 50 ms/ });
  });

  it('times out a body that never ends', async () => {
    const http = createHttpClient({
      timeoutMs: 50,
      fetch: async () => new Response(new ReadableStream({ start: (controller) => controller.enqueue(new Uint8Array([123])) }), { status: 200 }),
    });
    await rejectsWith(send(http, 'refresh', 'https://as.example.com/token'), { kind: 'network', message: /did not answer/ });
  });

  it('reports a refused connection', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await rejectsWith(send(createHttpClient({}), 'probe', `http://127.0.0.1:${port}/mcp`), { kind: 'network', step: 'probe', message: /Could not reach/ });
  });
});

describe('http: body cap', () => {
  it('rejects a body larger than the cap even without content-length', async () => {
    const chunk = new Uint8Array(600);
    const http = createHttpClient({
      maxBodyBytes: 1000,
      fetch: async () =>
        new Response(
          new ReadableStream({
            pull: (controller) => controller.enqueue(chunk),
          }),
        ),
    });
    await rejectsWith(send(http, 'authorization-server-metadata', 'https://as.example.com/.well-known/x'), { kind: 'discovery', message: /more than 1000 bytes/ });
  });

  it('rejects early on a declared oversized content-length', async () => {
    const http = createHttpClient({ maxBodyBytes: 10, fetch: async () => new Response('x'.repeat(11), { headers: { 'content-length': '11' } }) });
    await rejectsWith(send(http, 'registration', 'https://as.example.com/register'), { kind: 'registration', message: /more than 10 bytes/ });
  });

  it('returns bodies within the cap intact, with the request URL', async () => {
    const { http } = httpWith({ 'GET https://as.example.com/x': () => json({ ok: true }) }, { maxBodyBytes: 100 });
    const response = await send(http, 'authorization-server-metadata', 'https://as.example.com/x');
    assert.deepEqual(await response.json(), { ok: true });
    assert.equal(response.url, 'https://as.example.com/x');
  });
});

describe('http: request trail', () => {
  it('logs method, URL and status with secrets redacted', async () => {
    const lines: string[] = [];
    const { http } = httpWith({ 'GET https://as.example.com/cb?code=SECRETCODE&state=SECRETSTATE&x=1': () => json({}) }, { debug: (line) => lines.push(line) });
    await send(http, 'callback', 'https://as.example.com/cb?code=SECRETCODE&state=SECRETSTATE&x=1');
    assert.equal(lines.length, 1);
    assert.match(lines[0] ?? '', /^GET https:\/\/as\.example\.com\/cb\?code=redacted&state=redacted&x=1 -> 200$/);
    assert.doesNotMatch(lines.join('\n'), /SECRET/);
  });

  it('redacts credentials in URLs', () => {
    assert.equal(redactUrl('https://user:pw@host.example/p?token=abc'), 'https://redacted:redacted@host.example/p?token=redacted');
  });
});

describe('http: durations in messages', () => {
  it('shows sub-second timeouts in ms and longer ones in seconds', () => {
    assert.equal(formatDuration(700), '700 ms');
    assert.equal(formatDuration(1000), '1 s');
    assert.equal(formatDuration(1500), '1.5 s');
    assert.equal(formatDuration(15_000), '15 s');
    assert.equal(formatDuration(90_000), '90 s');
    assert.equal(formatDuration(600_000), '10 min');
  });
});

describe('http: error answers are excerpted in bounded, linear time', () => {
  const MEGABYTE = 1024 * 1024;
  const hostile = 'eyJ'.repeat(MEGABYTE / 3);

  it('a 1 MB body of "eyJ" is excerpted in well under a second (the old JWT pattern was quadratic: minutes)', () => {
    const started = performance.now();
    const excerpt = bodyExcerpt(hostile);
    const elapsed = performance.now() - started;
    assert.ok(elapsed < 100, `took ${elapsed.toFixed(0)} ms`);
    assert.equal(excerpt, 'redacted-jwt…');
  });

  it('a 1 MB 404 on a metadata URL costs no more than a short one, with the --debug trail on', async () => {
    const lines: string[] = [];
    const { http } = httpWith({ 'GET https://mcp.example.com/.well-known/oauth-protected-resource': () => new Response(hostile, { status: 404 }) }, { debug: (line) => lines.push(line) });
    const started = performance.now();
    const response = await send(http, 'resource-metadata', 'https://mcp.example.com/.well-known/oauth-protected-resource');
    const elapsed = performance.now() - started;
    assert.equal(response.status, 404);
    assert.ok(elapsed < 500, `took ${elapsed.toFixed(0)} ms`);
    assert.deepEqual(lines.slice(1), ['  answer: redacted-jwt…']);
  });

  it('still redacts secrets that the bounded slice cuts short', () => {
    const padding = ' '.repeat(4070);
    assert.equal(bodyExcerpt(`${padding}{"refresh_token":"rt-secret-value`), '{"refresh_token":"redacted"…');
    assert.equal(bodyExcerpt(`${' '.repeat(4030)}${'x'.repeat(30)} eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.sig`), `${'x'.repeat(30)} redacted-jwt…`);
    assert.equal(
      bodyExcerpt('{"error":"x","access_token":"a\\"b","id_token":"eyJa.b.c"}\ncode=123&state=9 Bearer abc.def'),
      '{"error":"x","access_token":"redacted","id_token":"redacted"} code=redacted&state=redacted Bearer redacted',
    );
  });
});
