import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { parseTomlValues } from '../../../src/codex/config.ts';
import { appendRemoteEntry, removeAppendedEntry, removeEntryKey, setEntryString, tokenEnvVarName, writeConfigAtomically } from '../../../src/codex/rewrite.ts';
import { BEARER_KEY } from '../../../src/codex/wiring.ts';
import { isCodexAuthError } from '../../../src/errors.ts';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'codex-auth-rewrite-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));

const VAR = 'CODEX_AUTH_FASTMAIL_TOKEN';

const REALISTIC = `# Codex configuration  ✨
model = "gpt-5-codex" # the default
approval_policy = "on-request"

[profiles.fast] # a profile before the servers
model = "o4-mini"

# ---- MCP servers ----
[mcp_servers.docs]
command = "npx"
args = ["-y", "@acme/docs-mcp"]

[mcp_servers.fastmail]
# Fastmail's hosted MCP server
url = "https://api.fastmail.com/mcp"    # keep this aligned
scopes = [
  "https://www.fastmail.com/dev/mcp", # mail
  "offline_access",
]
# oauth_resource = "https://api.fastmail.com/mcp"

[mcp_servers.fastmail.oauth]
client_id = "pre-registered"

[mcp_servers.fastmail.http_headers]
X-Client = "codex ünïcødé 😀"

[mcp_servers."quoted.name"]
url = "https://quoted.example/mcp"

[[profiles.list]]
name = "after the servers"
`;

/** Sets, checks the one change in values, then removes and checks the bytes come back. */
function roundTrip(text: string, name: string): string {
  const set = setEntryString(text, name, BEARER_KEY, VAR);
  assert.equal(set.changed, true);
  const expected = parseTomlValues(text) as any;
  expected.mcp_servers[name].bearer_token_env_var = VAR;
  assert.deepEqual(parseTomlValues(set.text), expected);
  assert.equal(removeEntryKey(set.text, name, BEARER_KEY).text, text);
  return set.text;
}

const refusedWith = (pattern: RegExp) => (error: unknown) => {
  assert.ok(isCodexAuthError(error));
  assert.equal(error.kind, 'config');
  assert.equal(error.step, 'rewrite');
  assert.match(error.message, pattern);
  return true;
};

describe('tokenEnvVarName', () => {
  it('upper-cases the name and replaces every other character', () => {
    assert.equal(tokenEnvVarName('fastmail', []), 'CODEX_AUTH_FASTMAIL_TOKEN');
    assert.equal(tokenEnvVarName('my-server.v2', []), 'CODEX_AUTH_MY_SERVER_V2_TOKEN');
    assert.equal(tokenEnvVarName('ünï', []), 'CODEX_AUTH__N__TOKEN');
  });

  it('never hands out a name already taken', () => {
    const taken = ['CODEX_AUTH_A_B_TOKEN', 'CODEX_AUTH_A_B_TOKEN_2'];
    assert.equal(tokenEnvVarName('a.b', taken), 'CODEX_AUTH_A_B_TOKEN_3');
    assert.equal(tokenEnvVarName('a-b', ['CODEX_AUTH_A_B_TOKEN']), 'CODEX_AUTH_A_B_TOKEN_2');
  });
});

describe('setEntryString / removeEntryKey of bearer_token_env_var on a realistic file', () => {
  it('adds one line after the entry\'s last key and keeps everything else', () => {
    const result = setEntryString(REALISTIC, 'fastmail', BEARER_KEY, VAR);
    assert.equal(result.previousValue, undefined);
    assert.equal(result.text, REALISTIC.replace(
      '  "offline_access",\n]\n',
      `  "offline_access",\n]\nbearer_token_env_var = "${VAR}"\n`,
    ));
    roundTrip(REALISTIC, 'fastmail');
  });

  it('handles a quoted name with a dot', () => {
    const text = roundTrip(REALISTIC, 'quoted.name');
    assert.ok(text.includes(`[mcp_servers."quoted.name"]\nurl = "https://quoted.example/mcp"\nbearer_token_env_var = "${VAR}"\n`));
  });

  it('keeps CRLF line endings', () => {
    const crlf = REALISTIC.replaceAll('\n', '\r\n');
    const text = roundTrip(crlf, 'fastmail');
    assert.equal(text.replaceAll('\r\n', '').includes('\n'), false);
  });

  it('handles a last line without a line ending', () => {
    const text = '[mcp_servers.fastmail]\r\nurl = "https://x/mcp"';
    assert.equal(roundTrip(text, 'fastmail'), `${text}\r\nbearer_token_env_var = "${VAR}"`);
  });

  it('matches the indentation of the entry', () => {
    const text = '[mcp_servers.fastmail]\n    url = "https://x/mcp"\n';
    assert.equal(roundTrip(text, 'fastmail'), `${text}    bearer_token_env_var = "${VAR}"\n`);
  });

  it('is idempotent', () => {
    const once = setEntryString(REALISTIC, 'fastmail', BEARER_KEY, VAR);
    const twice = setEntryString(once.text, 'fastmail', BEARER_KEY, VAR);
    assert.deepEqual(twice, { text: once.text, changed: false, previousValue: VAR });
  });

  it('removing an absent key changes nothing', () => {
    assert.deepEqual(removeEntryKey(REALISTIC, 'fastmail', BEARER_KEY), { text: REALISTIC, changed: false });
  });
});

describe('an entry that already has bearer_token_env_var', () => {
  const text = '[mcp_servers.fastmail]\nurl = "https://x/mcp"\nbearer_token_env_var = "MINE" # set by hand\n';

  it('replaces only the value, reports the old one, and restores it', () => {
    const set = setEntryString(text, 'fastmail', BEARER_KEY, VAR);
    assert.equal(set.previousValue, 'MINE');
    assert.equal(set.text, text.replace('"MINE"', `"${VAR}"`));
    const restored = removeEntryKey(set.text, 'fastmail', BEARER_KEY, 'MINE');
    assert.equal(restored.text, text);
    assert.equal(restored.previousValue, VAR);
  });

  it('refuses to delete a line that also holds a comment', () => {
    assert.throws(() => removeEntryKey(text, 'fastmail', BEARER_KEY), refusedWith(/more than that key/));
  });
});

describe('inline-table and dotted entries', () => {
  it('appends to an inline table', () => {
    const text = '[mcp_servers]\nfastmail = { url = "https://x/mcp", scopes = ["a"] } # hosted\nlocal = { command = "x" }\n';
    assert.equal(roundTrip(text, 'fastmail'),
      `[mcp_servers]\nfastmail = { url = "https://x/mcp", scopes = ["a"], bearer_token_env_var = "${VAR}" } # hosted\nlocal = { command = "x" }\n`);
  });

  it('handles an inline table written with a dotted key at the root', () => {
    roundTrip('mcp_servers.fastmail = { url = "https://x/mcp" }\n\n[profiles.x]\nm = 1\n', 'fastmail');
  });

  it('removes a bearer key that is not the last inline item', () => {
    const text = '[mcp_servers]\nfastmail = { bearer_token_env_var = "X", url = "u" }\n';
    assert.equal(removeEntryKey(text, 'fastmail', BEARER_KEY).text, '[mcp_servers]\nfastmail = { url = "u" }\n');
  });

  it('adds a dotted line after the entry\'s last dotted line', () => {
    const text = 'mcp_servers.fastmail.url = "https://x/mcp" # c\nmodel = "o3"\n\n[mcp_servers.fastmail.oauth]\nclient_id = "x"\n';
    assert.equal(roundTrip(text, 'fastmail'),
      `mcp_servers.fastmail.url = "https://x/mcp" # c\nmcp_servers.fastmail.bearer_token_env_var = "${VAR}"\nmodel = "o3"\n\n[mcp_servers.fastmail.oauth]\nclient_id = "x"\n`);
  });

  it('writes dotted keys relative to [mcp_servers], quoting names that need it', () => {
    const text = '[mcp_servers]\n"fast.mail".url = "https://x/mcp"\n';
    assert.equal(roundTrip(text, 'fast.mail'), `${text}"fast.mail".bearer_token_env_var = "${VAR}"\n`);
  });

  it('refuses an entry nested in an inline mcp_servers table, saying what to do', () => {
    const text = 'mcp_servers = { fastmail = { url = "https://x/mcp" } }\n';
    assert.throws(() => setEntryString(text, 'fastmail', BEARER_KEY, VAR), (error: unknown) => {
      refusedWith(/inline `mcp_servers = \{ \.\.\. \}` table/)(error);
      assert.match((error as { hint: string }).hint, /own \[mcp_servers\.fastmail\] table/);
      return true;
    });
  });
});

describe('refusals', () => {
  it('refuses unknown, stdio and broken input, naming the server', () => {
    assert.throws(() => setEntryString(REALISTIC, 'github', BEARER_KEY, VAR), refusedWith(/\[mcp_servers\.github\].*no \[mcp_servers\.github\] entry/));
    assert.throws(() => setEntryString(REALISTIC, 'docs', BEARER_KEY, VAR), refusedWith(/no url: it is not a remote server/));
    assert.throws(() => setEntryString('[mcp_servers.x]\nurl = \n', 'x', BEARER_KEY, VAR), refusedWith(/not valid TOML/));
  });
});

describe('writeConfigAtomically', () => {
  const setup = (name: string, text: string, mode: number) => {
    const dir = fs.mkdtempSync(path.join(root, `${name}-`));
    const file = path.join(dir, 'config.toml');
    fs.writeFileSync(file, text);
    fs.chmodSync(file, mode);
    return { file, backupPath: path.join(dir, 'config.toml.bak') };
  };

  it('writes, keeps the mode, and backs up the original once', () => {
    const { file, backupPath } = setup('write', REALISTIC, 0o640);
    const first = setEntryString(REALISTIC, 'fastmail', BEARER_KEY, VAR).text;
    writeConfigAtomically(file, REALISTIC, first, { backupPath });
    assert.equal(fs.readFileSync(file, 'utf8'), first);
    assert.equal(fs.statSync(file).mode & 0o777, 0o640);
    assert.equal(fs.readFileSync(backupPath, 'utf8'), REALISTIC);
    assert.equal(fs.statSync(backupPath).mode & 0o777, 0o640);
    writeConfigAtomically(file, first, REALISTIC, { backupPath });
    assert.equal(fs.readFileSync(backupPath, 'utf8'), REALISTIC);
    assert.equal(fs.readFileSync(file, 'utf8'), REALISTIC);
  });

  it("removes the temp copy a writer killed inside the backup's one write left, and keeps a live writer's", () => {
    const { file, backupPath } = setup('backup-leftover', REALISTIC, 0o600);
    fs.writeFileSync(backupPath, REALISTIC);
    const deadPid = spawnSync(process.execPath, ['-e', '']).pid!;
    const leftover = path.join(path.dirname(backupPath), `.config.toml.bak.${deadPid}.0123456789ab.tmp`);
    const live = path.join(path.dirname(backupPath), `.config.toml.bak.${process.ppid}.0123456789ab.tmp`);
    fs.writeFileSync(leftover, REALISTIC);
    fs.writeFileSync(live, REALISTIC);
    writeConfigAtomically(file, REALISTIC, setEntryString(REALISTIC, 'fastmail', BEARER_KEY, VAR).text, { backupPath });
    assert.equal(fs.existsSync(leftover), false);
    assert.equal(fs.existsSync(live), true);
  });

  it('refuses when the file changed since it was read', () => {
    const { file, backupPath } = setup('race', REALISTIC, 0o600);
    fs.appendFileSync(file, '# edited meanwhile\n');
    assert.throws(
      () => writeConfigAtomically(file, REALISTIC, setEntryString(REALISTIC, 'fastmail', BEARER_KEY, VAR).text, { backupPath }),
      refusedWith(/changed while codex-auth was editing it; run again/),
    );
    assert.equal(fs.readFileSync(file, 'utf8'), `${REALISTIC}# edited meanwhile\n`);
    assert.equal(fs.existsSync(backupPath), false);
  });
});

describe('appendRemoteEntry (a project entry completed in the user config)', () => {
  it('appends a url-only table after the last line, keeping every byte before it and the file\'s line endings', () => {
    const crlf = REALISTIC.replaceAll('\n', '\r\n').replace(/\r\n$/, '');
    const { text } = appendRemoteEntry(crlf, 'linear.app', 'https://mcp.linear.app/mcp', 'from /repo/.codex/config.toml\nsecond line');
    assert.ok(text.startsWith(crlf));
    assert.equal(text.slice(crlf.length), '\r\n\r\n# from /repo/.codex/config.toml second line\r\n[mcp_servers."linear.app"]\r\nurl = "https://mcp.linear.app/mcp"\r\n');
    assert.deepEqual((parseTomlValues(text).mcp_servers as Record<string, unknown>)['linear.app'], { url: 'https://mcp.linear.app/mcp' });
  });

  it('refuses a name the file already has, and a file where the new table would read differently (servers as an inline table)', () => {
    assert.throws(() => appendRemoteEntry('[mcp_servers.demo]\nhttp_headers_helper = "x"\n', 'demo', 'https://a.example/mcp', 'n'), (error) => isCodexAuthError(error) && /already has an entry/.test(error.message));
    assert.throws(() => appendRemoteEntry('mcp_servers = { other = { url = "https://b.example" } }\n', 'demo', 'https://a.example/mcp', 'n'), (error) => isCodexAuthError(error) && /left untouched/.test(error.message));
  });
});

describe('removeAppendedEntry (unpatch of a table login appended)', () => {
  const appendTo = (text: string) => {
    const appended = appendRemoteEntry(text, 'demo', 'https://a.example/mcp', 'added by codex-auth login').text;
    return { appended, added: appended.slice(text.length) };
  };

  it('gives back the file as it was before, byte for byte, with LF or CRLF, with or without a final line ending, and when it was the only server', () => {
    for (const before of [REALISTIC, REALISTIC.replaceAll('\n', '\r\n'), REALISTIC.replace(/\n$/, ''), 'model = "x"\n', '']) {
      const { appended, added } = appendTo(before);
      assert.deepEqual(removeAppendedEntry(appended, 'demo', added), { text: before });
    }
  });

  it('leaves the table when it changed or holds more than was appended: an edited comment, a key or a subtable added after it', () => {
    const { appended, added } = appendTo(REALISTIC);
    assert.deepEqual(removeAppendedEntry(appended.replace('added by codex-auth login', 'my server'), 'demo', added), { kept: 'it was edited since login added it' });
    assert.deepEqual(removeAppendedEntry(`${appended}enabled = false\n`, 'demo', added), { kept: 'it holds more than login added' });
    assert.deepEqual(removeAppendedEntry(`${appended}[mcp_servers.demo.http_headers]\nX-Team = "a"\n`, 'demo', added), { kept: 'it holds more than login added' });
  });

  it('removes it from the middle of the file when tables were added after it', () => {
    const { appended, added } = appendTo(REALISTIC);
    const later = `${appended}\n[mcp_servers.other]\nurl = "https://b.example/mcp"\n`;
    assert.deepEqual(removeAppendedEntry(later, 'demo', added), { text: `${REALISTIC}\n[mcp_servers.other]\nurl = "https://b.example/mcp"\n` });
  });
});
