import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classifyCodexArgs } from '../../../src/codex/invocation.ts';

const kind = (args: string[]) => classifyCodexArgs(args).kind;

describe('classifyCodexArgs', () => {
  it('the TUI, with or without a prompt and global options, and resume/fork are interactive', () => {
    for (const args of [[], ['fix the bug'], ['-m', 'o3', 'exec is a word here'], ['-c', 'model="x"'], ['--search'], ['resume', '--last'], ['fork'], ['-C', 'mcp', 'hello'], ['--', 'exec']]) {
      assert.equal(kind(args), 'interactive', args.join(' '));
    }
  });

  it('exec, e, review and mcp-server run MCP in process; exec --remote attaches to a server', () => {
    for (const args of [['exec', 'hi'], ['e', 'hi'], ['--strict-config', 'exec', '--skip-git-repo-check', 'hi'], ['-c', 'a=1', 'review'], ['mcp-server']]) {
      assert.equal(kind(args), 'in-process', args.join(' '));
    }
    assert.equal(kind(['exec', '--remote', 'unix://', 'hi']), 'interactive');
  });

  it('everything that needs no MCP token passes through', () => {
    for (const args of [['--version'], ['-V'], ['--help'], ['exec', '--help'], ['login'], ['logout'], ['mcp', 'list', '--json'], ['mcp', 'get', 'x'], ['mcp', 'add', 'x', '--url', 'u'], ['app-server', 'daemon', 'stop'], ['completion', 'bash'], ['mcp', 'login'], ['mcp', 'login', 'x', '--help']]) {
      assert.equal(kind(args), 'other', args.join(' '));
    }
  });

  it('mcp login and logout name the server and carry what codex-auth honours; the rest is reported as ignored', () => {
    assert.deepEqual(classifyCodexArgs(['mcp', 'login', 'fastmail', '--scopes', 'a,b, c']), { kind: 'mcp-login', server: 'fastmail', browser: true, ignored: [], scopes: ['a', 'b', 'c'] });
    assert.deepEqual(classifyCodexArgs(['-c', 'x=1', 'mcp', 'login', '--no-browser', 'fastmail', '--scopes=a']), { kind: 'mcp-login', server: 'fastmail', browser: false, ignored: [], scopes: ['a'] });
    assert.deepEqual(classifyCodexArgs(['mcp', 'login', 'fastmail', '--oauth-client-registration', 'dcr']), { kind: 'mcp-login', server: 'fastmail', browser: true, ignored: ['--oauth-client-registration dcr'] });
    // The user report's third try: the entry's scopes and oauth_resource as -c overrides, read as TOML.
    assert.deepEqual(
      classifyCodexArgs(['mcp', 'login', 'fastmail', '-c', 'mcp_servers.fastmail.scopes=["https://www.fastmail.com/dev/mcp","offline_access"]', '-c', 'mcp_servers.fastmail.oauth_resource="https://api.fastmail.com/mcp"']),
      { kind: 'mcp-login', server: 'fastmail', browser: true, ignored: [], scopes: ['https://www.fastmail.com/dev/mcp', 'offline_access'], resource: 'https://api.fastmail.com/mcp' },
    );
    assert.deepEqual(
      classifyCodexArgs(['-c', 'mcp_servers."my server".oauth_resource=api://mine', '-c', 'model=o3', 'mcp', 'login', 'my server']),
      { kind: 'mcp-login', server: 'my server', browser: true, ignored: [], resource: 'api://mine' },
      'before mcp too, a quoted name, a bare value as a string; other -c are Codex\'s business',
    );
    assert.deepEqual(
      classifyCodexArgs(['mcp', 'login', 'fastmail', '-c', 'mcp_servers.fastmail.scopes=3', '-c', 'mcp_servers.other.scopes=["x"]']),
      { kind: 'mcp-login', server: 'fastmail', browser: true, ignored: ['-c mcp_servers.fastmail.scopes=3', '-c mcp_servers.other.scopes=["x"]'] },
      'a value of the wrong type, or another entry\'s, is named as ignored',
    );
    assert.deepEqual(classifyCodexArgs(['mcp', 'logout', 'fastmail']), { kind: 'mcp-logout', server: 'fastmail', ignored: [] });
  });
});
