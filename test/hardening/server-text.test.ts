// What a hostile server can do with the text it sends (issue 17, items 1 and 3), through the real
// CLI: a megabyte error answer costs no more than a short one (the redaction of error bodies was
// quadratic), and no control character a server sends reaches the terminal, nor raw into --json.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { assertNoSecrets, capturedOutput, createSandbox, runCli, type Sandbox } from '../e2e/harness.ts';
import { storedState } from '../e2e/fixtures.ts';
import { expireStoredToken } from './helpers.ts';
import { makeCallbackBrowser, sendJson, sendRaw, startHostileServer, type Handler, type HostileServer } from './hostile-server.ts';

/** ESC sequences (clear screen, OSC 52 clipboard, window title), an 8-bit CSI, BEL, CR, NUL, DEL and a bidi override. */
const HOSTILE = 'visible\u001b[2J\u001b]52;c;cm0gLXJmIH4=\u0007\u001b]0;owned\u0007\u009b31m\r\u0000\u007f\u202eend';
const CONTROL_BYTES = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
const MEGABYTE_OF_JWT_STARTS = 'eyJ'.repeat(Math.floor((1024 * 1024 - 100) / 3));

function configFor(server: HostileServer): string {
  return `[mcp_servers.demo]\nurl = "${server.mcpUrl}"\n`;
}

const elapsed = async <T>(work: () => Promise<T>): Promise<[T, number]> => {
  const started = performance.now();
  const result = await work();
  return [result, performance.now() - started];
};

describe('hostile server text through the real CLI', () => {
  let server: HostileServer;
  let browserHome: Sandbox;
  let browser: string;

  before(async () => {
    server = await startHostileServer();
    browserHome = createSandbox();
    browser = makeCallbackBrowser(browserHome.root);
  });

  after(async () => {
    await server.close();
    browserHome.cleanup();
    assertNoSecrets(capturedOutput, [...server.secrets]);
  });

  async function withSandbox(work: (sandbox: Sandbox) => Promise<void>): Promise<void> {
    const sandbox = createSandbox({ BROWSER: browser, CALLBACK_MODE: 'ok' });
    sandbox.writeConfig(configFor(server));
    try {
      await work(sandbox);
    } finally {
      server.use({});
      sandbox.cleanup();
    }
  }

  describe('a megabyte error answer is cheap (item 1)', () => {
    it('a 1 MB 404 of "eyJ" at the metadata URL fails as fast as a short 404', async () => {
      await withSandbox(async (sandbox) => {
        const notFound = (body: string): Handler => ({ res }) => sendRaw(res, 404, 'text/plain', body);
        server.use({ 'resource-metadata': notFound('not here') });
        const [short, shortMs] = await elapsed(() => runCli(sandbox, ['login', 'demo', '--debug']));
        server.use({ 'resource-metadata': notFound(MEGABYTE_OF_JWT_STARTS) });
        const [hostile, hostileMs] = await elapsed(() => runCli(sandbox, ['login', 'demo', '--debug'], { timeoutMs: 30_000 }));
        assert.equal(short.code, 4, short.stderr);
        assert.equal(hostile.code, 4, hostile.stderr);
        assert.match(hostile.stderr, /answer: redacted-jwt…/);
        assert.ok(hostileMs < shortMs + 1000, `1 MB answer: ${hostileMs.toFixed(0)} ms, short answer: ${shortMs.toFixed(0)} ms`);
      });
    });

    it('a refresh answered with a 1 MB error costs `run -- true` no more than a short error', async () => {
      await withSandbox(async (sandbox) => {
        assert.equal((await runCli(sandbox, ['login', 'demo'])).code, 0);
        expireStoredToken(sandbox);
        const refusal = (description: string): Handler => ({ res }) => sendJson(res, 400, { error: 'invalid_request', error_description: description });
        server.use({ token: refusal('try later') });
        const [short, shortMs] = await elapsed(() => runCli(sandbox, ['run', '--', 'true']));
        server.use({ token: refusal(MEGABYTE_OF_JWT_STARTS) });
        const [hostile, hostileMs] = await elapsed(() => runCli(sandbox, ['run', '--', 'true'], { timeoutMs: 30_000 }));
        assert.equal(short.code, 0, short.stderr);
        assert.equal(hostile.code, 0, hostile.stderr);
        assert.match(hostile.stderr, /demo: its token has expired and could not be refreshed/);
        assert.ok(hostile.stderr.length < 2000, 'the answer is not printed whole');
        assert.ok(hostileMs < shortMs + 1000, `1 MB answer: ${hostileMs.toFixed(0)} ms, short answer: ${shortMs.toFixed(0)} ms`);
      });
    });
  });

  describe('no control character from a server reaches the terminal (item 3)', () => {
    const cases: Array<{ name: string; routes: Partial<Record<'resource-metadata' | 'as-metadata' | 'register' | 'token' | 'device', Handler>>; args?: string[]; exit: number }> = [
      { name: 'registration refused with an error_description', routes: { register: ({ res }) => sendJson(res, 400, { error: 'invalid_client_metadata', error_description: HOSTILE }) }, exit: 5 },
      { name: 'registration refused in plain text', routes: { register: ({ res }) => sendRaw(res, 403, 'text/plain', HOSTILE) }, exit: 5 },
      { name: 'token exchange refused with an error_description', routes: { token: ({ res }) => sendJson(res, 400, { error: 'invalid_grant', error_description: HOSTILE }) }, exit: 7 },
      { name: 'resource metadata naming another resource', routes: { 'resource-metadata': ({ res, origin }) => sendJson(res, 200, { resource: `${origin}/${HOSTILE}`, authorization_servers: [origin] }) }, exit: 4 },
      { name: 'an error answer in the --debug trail', routes: { 'as-metadata': ({ res }) => sendRaw(res, 500, 'text/plain', HOSTILE) }, exit: 4 },
      {
        name: 'a device user_code',
        args: ['--device'],
        routes: {
          'as-metadata': ({ res, origin }, good) => sendJson(res, 200, { ...good(), device_authorization_endpoint: `${origin}/device` }),
          device: ({ res, origin }) => sendJson(res, 200, { device_code: 'device-code-1', user_code: HOSTILE, verification_uri: `${origin}/activate`, expires_in: 600, interval: 1 }),
        },
        exit: 0,
      },
    ];
    for (const hostile of cases) {
      it(hostile.name, async () => {
        await withSandbox(async (sandbox) => {
          server.use(hostile.routes);
          const result = await runCli(sandbox, ['login', 'demo', '--debug', ...(hostile.args ?? [])]);
          assert.equal(result.code, hostile.exit, result.stderr);
          assert.match(result.stderr, /visible.*end/, 'the text itself is shown');
          assert.doesNotMatch(result.stderr, CONTROL_BYTES);
          assert.doesNotMatch(result.stdout, CONTROL_BYTES);
        });
      });
    }

    it('--json carries the server text escaped, as valid JSON', async () => {
      await withSandbox(async (sandbox) => {
        server.use({ register: ({ res }) => sendJson(res, 400, { error: 'invalid_client_metadata', error_description: HOSTILE }) });
        const result = await runCli(sandbox, ['login', 'demo', '--json']);
        assert.equal(result.code, 5, result.stderr);
        assert.doesNotMatch(result.stdout, CONTROL_BYTES);
        assert.doesNotMatch(result.stderr, CONTROL_BYTES);
        const report = JSON.parse(result.stdout) as { servers: Array<{ error: { serverSaid: string } }> };
        assert.equal(report.servers[0]?.error.serverSaid, `invalid_client_metadata: ${HOSTILE}`);
      });
    });
  });

  describe('the login callback takes only its own login (item 2)', () => {
    it("another process's request with a wrong state and an error is refused with 400 and never shown; the real redirect then logs in", async () => {
      await withSandbox(async (sandbox) => {
        const report = join(sandbox.root, 'intruder-status');
        const result = await runCli(sandbox, ['login', 'demo'], { env: { CALLBACK_MODE: 'intruder-first', CALLBACK_REPORT: report } });
        assert.equal(result.code, 0, result.stderr);
        assert.equal(readFileSync(report, 'utf8'), '400', "the intruder's request is answered 400");
        assert.match(result.stderr, /callback ignored a request to the callback address: it does not carry this login's state \(HTTP 400\); still waiting/);
        assert.doesNotMatch(result.stderr, /INTRUDER|owned|server said|access_denied/);
        assert.doesNotMatch(result.stderr, CONTROL_BYTES);
        assert.ok(storedState(sandbox)?.grant, 'the real redirect completed the login');
      });
    });
  });
});
