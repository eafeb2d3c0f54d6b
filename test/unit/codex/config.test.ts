import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { findServer, parseCodexConfig, readCodexConfig, resolveHeaders } from '../../../src/codex/config.ts';
import { codexConfigPath } from '../../../src/codex/home.ts';
import { isCodexAuthError } from '../../../src/errors.ts';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'codex-auth-config-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));

const FULL = `mcp_oauth_callback_port = 5555

# A remote server with every key codex-auth honours.
[mcp_servers.fastmail]
url = "https://api.fastmail.com/mcp"
scopes = ["https://www.fastmail.com/dev/mcp", "offline_access"]
oauth_resource = "https://api.fastmail.com/mcp"
bearer_token_env_var = "MY_TOKEN"
enabled = false
required = true

[mcp_servers.fastmail.oauth]
client_id = "pre-registered"
callback_port = 4444

[mcp_servers.fastmail.http_headers]
X-Static = "static"

[mcp_servers.fastmail.env_http_headers]
X-From-Env = "HEADER_VAR"
X-Unset = "UNSET_VAR"

[mcp_servers.local]
command = "npx"
args = ["-y", "server"]

[mcp_servers.broken]
startup_timeout_sec = 5

[mcp_servers]
inline = { url = "https://inline.example/mcp" }
dotted.url = "https://dotted.example/mcp"
`;

const expectConfigError = (pattern: RegExp) => (error: unknown) => {
  assert.ok(isCodexAuthError(error));
  assert.equal(error.kind, 'config');
  assert.match(error.message, pattern);
  return true;
};

describe('codexConfigPath', () => {
  it('prefers the override, then CODEX_HOME, then ~/.codex', () => {
    assert.equal(codexConfigPath({ CODEX_HOME: '/ch', HOME: '/h' }, '/o/c.toml'), '/o/c.toml');
    assert.equal(codexConfigPath({ CODEX_HOME: '/ch', HOME: '/h' }), '/ch/config.toml');
    assert.equal(codexConfigPath({ HOME: '/h' }), '/h/.codex/config.toml');
  });
});

describe('parseCodexConfig', () => {
  const config = parseCodexConfig('/x/config.toml', FULL);

  it('keeps the text and lists the servers in file order', () => {
    assert.equal(config.text, FULL);
    assert.deepEqual(config.servers.map((s) => s.name), ['fastmail', 'local', 'broken', 'inline', 'dotted']);
    assert.equal(config.callbackPort, 5555);
  });

  it('reads every honoured key of a remote entry', () => {
    assert.deepEqual(config.servers[0], {
      name: 'fastmail',
      kind: 'remote',
      url: 'https://api.fastmail.com/mcp',
      scopes: ['https://www.fastmail.com/dev/mcp', 'offline_access'],
      oauthResource: 'https://api.fastmail.com/mcp',
      clientId: 'pre-registered',
      callbackPort: 4444,
      httpHeaders: { 'X-Static': 'static' },
      envHttpHeaders: { 'X-From-Env': 'HEADER_VAR', 'X-Unset': 'UNSET_VAR' },
      bearerTokenEnvVar: 'MY_TOKEN',
      enabled: false,
      required: true,
    });
  });

  it('tells remote, stdio and invalid entries apart, with defaults', () => {
    const [, local, broken, inline, dotted] = config.servers;
    assert.equal(local!.kind, 'stdio');
    assert.equal(broken!.kind, 'invalid');
    assert.equal(local!.enabled, true);
    assert.equal(local!.required, false);
    assert.deepEqual(local!.httpHeaders, {});
    assert.equal(inline!.kind, 'remote');
    assert.equal(dotted!.kind, 'remote');
  });

  it('reports invalid TOML with the path, line and column', () => {
    assert.throws(() => parseCodexConfig('/x/config.toml', 'a = 1\nb = = 2\n'), (error: unknown) => {
      expectConfigError(/^\/x\/config\.toml:2:5: invalid TOML: Unexpected character/)(error);
      assert.equal((error as { step: string }).step, 'config');
      return true;
    });
  });

  it('reads CRLF files with comments, which @iarna/toml alone rejects', () => {
    const crlf = parseCodexConfig('/x/config.toml', FULL.replaceAll('\n', '\r\n'));
    assert.deepEqual(crlf.servers, config.servers);
  });

  it('reads a file with no servers', () => {
    const empty = parseCodexConfig('/x/config.toml', 'model = "o3"\n');
    assert.deepEqual(empty.servers, []);
    assert.equal(empty.callbackPort, undefined);
  });
});

describe('readCodexConfig', () => {
  it('reads a file from disk', () => {
    const file = path.join(root, 'config.toml');
    fs.writeFileSync(file, FULL);
    assert.equal(readCodexConfig(file).servers.length, 5);
  });

  it('explains a missing file and how to add a server', () => {
    assert.throws(() => readCodexConfig(path.join(root, 'nope.toml')), (error: unknown) => {
      expectConfigError(/nope\.toml does not exist/)(error);
      assert.match((error as { hint: string }).hint, /codex mcp add <name> --url <url>/);
      return true;
    });
  });

  it('reports an unreadable path as a config error', () => {
    assert.throws(() => readCodexConfig(root), expectConfigError(/cannot read .*EISDIR/));
  });
});

describe('findServer', () => {
  const config = parseCodexConfig('/x/config.toml', FULL);

  it('returns the remote entry', () => {
    assert.equal(findServer(config, 'fastmail').url, 'https://api.fastmail.com/mcp');
  });

  it('lists the known names for an unknown one', () => {
    assert.throws(() => findServer(config, 'github'), expectConfigError(/known: fastmail, local, broken, inline, dotted/));
  });

  it('refuses a stdio server and an entry with no transport', () => {
    assert.throws(() => findServer(config, 'local'), expectConfigError(/stdio server/));
    assert.throws(() => findServer(config, 'broken'), expectConfigError(/neither a url nor a command/));
  });
});

describe('resolveHeaders', () => {
  it('merges static headers with those whose variables are set', () => {
    const entry = findServer(parseCodexConfig('/x/config.toml', FULL), 'fastmail');
    assert.deepEqual(resolveHeaders(entry, { HEADER_VAR: 'from-env' }), { 'X-Static': 'static', 'X-From-Env': 'from-env' });
  });
});
