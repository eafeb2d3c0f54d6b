// Issue 17, item 4: a pre-registered client's secret belongs to one authorization server. Two
// servers in config.toml, one hostile behind its own issuer: the secret given for the good one
// never reaches the hostile one, whether both are named at once, none is, or the hostile one is
// named on its own later.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { assertNoSecrets, createSandbox, runCli } from '../e2e/harness.ts';
import { storedState } from '../e2e/fixtures.ts';
import { assertMode } from './helpers.ts';
import { makeCallbackBrowser, startHostileServer, type Handler, type HostileServer } from './hostile-server.ts';

const SECRET = 'app-secret-3f9a1c7e5b2d4068';
const CLIENT = ['--client-id', 'app', '--client-secret-env', 'APP_SECRET'];

/** A server that accepts client secrets, recording every request's credentials it sees at its token endpoint. */
function acceptingSecrets(server: HostileServer, seen: string[]): void {
  const token: Handler = ({ req, res, form }, good) => {
    seen.push(`${req.headers.authorization ?? ''} ${form.toString()}`);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(good()));
  };
  const asMetadata: Handler = ({ res }, good) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ...good(), token_endpoint_auth_methods_supported: ['client_secret_basic'] }));
  };
  server.use({ token, 'as-metadata': asMetadata });
}

const basic = (secret: string) => `Basic ${Buffer.from(`app:${secret}`).toString('base64')}`;

describe('a pre-registered client secret is bound to its issuer', () => {
  it('is refused for several servers or none, and never sent to a hostile server with another issuer', async () => {
    const good = await startHostileServer();
    const evil = await startHostileServer();
    const sandbox = createSandbox();
    try {
      const toGood: string[] = [];
      const toEvil: string[] = [];
      acceptingSecrets(good, toGood);
      acceptingSecrets(evil, toEvil);
      sandbox.writeConfig(`[mcp_servers.good]\nurl = "${good.mcpUrl}"\n\n[mcp_servers.evil]\nurl = "${evil.mcpUrl}"\n`);
      const env = { BROWSER: makeCallbackBrowser(sandbox.root), APP_SECRET: SECRET };

      for (const names of [['good', 'evil'], []]) {
        const refused = await runCli(sandbox, ['login', ...names, ...CLIENT], { env });
        assert.equal(refused.code, 2, refused.stderr);
        assert.match(refused.stderr, /^error: command line: --client-id and --client-secret-env belong to one server's authorization server/m);
        assert.match(refused.stderr, /next: log in to each server on its own: codex-auth login <name> --client-id app --client-secret-env APP_SECRET/);
      }
      assert.deepEqual([good.paths, evil.paths], [[], []], 'a usage error runs nothing');

      const first = await runCli(sandbox, ['login', 'good', ...CLIENT], { env });
      assert.equal(first.code, 0, first.stderr);
      assert.equal(toGood.length, 1);
      assert.ok(toGood[0]?.startsWith(`${basic(SECRET)} `), 'the good server got the secret');

      const hostile = await runCli(sandbox, ['login', 'evil', ...CLIENT], { env });
      assert.equal(hostile.code, 5, hostile.stderr);
      assert.match(hostile.stderr, new RegExp(`^error: evil: client registration: refusing to send the secret of client app to the authorization server ${evil.origin}: it belongs to ${good.origin} \\(first used for good\\)`, 'm'));
      assert.match(hostile.stderr, /next: check the url of evil in config\.toml; if that client has really moved to .*, run rm .*credentials.* and log in again/);
      assert.deepEqual(toEvil, [], 'no token request reached the hostile server');
      assert.ok(!evil.paths.includes('/token'));
      assert.equal(storedState(sandbox, 'evil')?.grant, undefined);

      // The binding is kept 0600 and holds no secret; the good server goes on working with it.
      const bindings = join(sandbox.stateDir, 'credentials');
      assertMode(bindings, 0o700);
      const [file] = readdirSync(bindings);
      assert.ok(file);
      assertMode(join(bindings, file), 0o600);
      assertNoSecrets([readFileSync(join(bindings, file), 'utf8')], [SECRET]);
      const again = await runCli(sandbox, ['login', 'good', '--force', ...CLIENT], { env });
      assert.equal(again.code, 0, again.stderr);
      assertNoSecrets([first.stdout, first.stderr, hostile.stdout, hostile.stderr, again.stdout, again.stderr], [SECRET]);
    } finally {
      await Promise.all([good.close(), evil.close()]);
      sandbox.cleanup();
    }
  });
});
