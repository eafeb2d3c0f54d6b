// Diagnostics (issue #13): a server's error answer shows under --debug and in doctor with secrets
// redacted; doctor never shows a bare TypeError; a port fetch refuses is named; config mistakes get
// their own message; --color forces colour into a pipe.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { describe, it } from 'node:test';
import { createSandbox, runCli, type Sandbox } from './harness.ts';

const SECRET = 'rt-SECRET-0123456789abcdef';

/** An MCP URL that asks for authorization, and resource metadata that fails with a body holding a secret. */
async function brokenMetadataServer(): Promise<{ url: string; close: () => Promise<void> }> {
  let origin = '';
  const server: Server = createServer((request, response) => {
    if (request.url === '/mcp') {
      response.writeHead(401, { 'www-authenticate': `Bearer resource_metadata="${origin}/prm"`, 'content-type': 'application/json' });
      response.end('{"error":"invalid_token"}');
      return;
    }
    response.writeHead(500, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ error: 'server_error', error_description: 'database down', refresh_token: SECRET, padding: 'x'.repeat(2000) }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  origin = `http://127.0.0.1:${address.port}`;
  return { url: `${origin}/mcp`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

async function withConfig(config: string, body: (sandbox: Sandbox) => Promise<void>): Promise<void> {
  const sandbox = createSandbox();
  try {
    sandbox.writeConfig(config);
    await body(sandbox);
  } finally {
    sandbox.cleanup();
  }
}

describe('diagnostics', () => {
  it('a server\'s error answer is shown in doctor and under --debug, shortened and with secrets redacted', async () => {
    const server = await brokenMetadataServer();
    try {
      await withConfig(`[mcp_servers.shaky]\nurl = "${server.url}"\n`, async (sandbox) => {
        const doctor = await runCli(sandbox, ['doctor', 'shaky']);
        assert.equal(doctor.code, 4, doctor.stderr);
        assert.match(doctor.stdout, /GET .*\/prm -> 500\n\s+answer: \{"error":"server_error","error_description":"database down","refresh_token":"redacted","padding":"x+…$/m);
        const json = JSON.parse((await runCli(sandbox, ['doctor', 'shaky', '--json'])).stdout) as { requests: Array<{ status: number; answer?: string }> };
        const answer = json.requests.find((request) => request.status === 500)?.answer ?? '';
        assert.ok(answer.length > 100 && answer.length <= 301, `a few hundred characters, not ${answer.length}`);
        const login = await runCli(sandbox, ['login', 'shaky', '--debug'], { env: { BROWSER: 'false' } });
        assert.equal(login.code, 4);
        assert.match(login.stderr, /debug: {3}answer: \{"error":"server_error","error_description":"database down","refresh_token":"redacted"/);
        for (const output of [doctor.stdout, doctor.stderr, login.stdout, login.stderr]) assert.ok(!output.includes(SECRET), 'the secret never shows');
      });
    } finally {
      await server.close();
    }
  });

  it('a port Node\'s fetch refuses is reported as such, not as a connection problem', async () => {
    await withConfig('[mcp_servers.x11]\nurl = "http://127.0.0.1:6000/mcp"\n', async (sandbox) => {
      const login = await runCli(sandbox, ['login', 'x11']);
      assert.equal(login.code, 8);
      assert.match(login.stderr, /port 6000 is one that fetch refuses to use/);
      assert.doesNotMatch(login.stderr, /Check your connection/);
      const doctor = await runCli(sandbox, ['doctor']);
      assert.equal(doctor.code, 8);
      assert.match(doctor.stdout, /✗ probe: .*port 6000 is one that fetch refuses/);
    });
  });

  it('config mistakes get their own message: both url and command, an invalid url (never a bare TypeError)', async () => {
    await withConfig('[mcp_servers.both]\nurl = "https://mcp.example.com/mcp"\ncommand = "echo"\n\n[mcp_servers.typo]\nurl = "htps//mcp.example.com"\n', async (sandbox) => {
      const both = await runCli(sandbox, ['login', 'both']);
      assert.equal(both.code, 3);
      assert.match(both.stderr, /has both a url and a command/);
      assert.match(both.stderr, /next: remove url or command from \[mcp_servers\.both\]/);
      const doctor = await runCli(sandbox, ['doctor', 'typo', 'both']);
      assert.equal(doctor.code, 3);
      assert.match(doctor.stdout, /✗ config: the url of \[mcp_servers\.typo\] .* is not a valid URL: "htps\/\/mcp\.example\.com"/);
      assert.doesNotMatch(doctor.stdout + doctor.stderr, /TypeError/);
      const all = await runCli(sandbox, ['doctor']);
      assert.equal(all.code, 3, 'the remote entry with a bad url is diagnosed, not crashed on');
      assert.doesNotMatch(all.stdout + all.stderr, /TypeError|unexpected failure/);
    });
  });

  it('--color forces colour into a pipe, --no-color turns it off', async () => {
    await withConfig('[mcp_servers.remote]\nurl = "https://mcp.example.com/mcp"\n', async (sandbox) => {
      const forced = await runCli(sandbox, ['status', '--color'], { env: { NO_COLOR: undefined } });
      assert.match(forced.stdout, /\u001b\[/);
      const off = await runCli(sandbox, ['status', '--no-color'], { env: { NO_COLOR: undefined, FORCE_COLOR: '1' } });
      assert.doesNotMatch(off.stdout + off.stderr, /\u001b\[/);
      const plain = await runCli(sandbox, ['status'], { env: { NO_COLOR: undefined } });
      assert.doesNotMatch(plain.stdout, /\u001b\[/, 'a pipe gets no colour by default');
    });
  });
});
