// The per-server and per-issuer state files: files users already have on disk (granted scope as
// the server's string) read correctly, a rejected registration dropped with its tokens, and the
// client name a server needs kept across logins.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { Grant } from '../../../src/oauth/flow.ts';
import type { ClientRecord } from '../../../src/oauth/registration.ts';
import { statePaths } from '../../../src/store/paths.ts';
import { StateStore } from '../../../src/store/state.ts';

const root = mkdtempSync(join(tmpdir(), 'codex-auth-state-'));
after(() => rmSync(root, { recursive: true, force: true }));
let counter = 0;

const ISSUER = 'https://as.example.com';
const client = (clientId: string): ClientRecord => ({ issuer: ISSUER, clientId, tokenEndpointAuthMethod: 'none', redirectUris: [], source: 'dynamic', createdAt: 0 });

function freshStore() {
  const paths = statePaths(join(root, `home-${++counter}`));
  return { paths, store: new StateStore(paths) };
}

function grant(tokens: Record<string, unknown>): Grant {
  return {
    serverName: 'gh',
    mcpUrl: 'https://mcp.example.com/mcp',
    resource: 'https://mcp.example.com/mcp',
    issuer: ISSUER,
    authorizationServer: { issuer: ISSUER },
    client: client('c1'),
    tokens: { accessToken: 'at', tokenType: 'Bearer', ...tokens } as Grant['tokens'],
    obtainedAt: 0,
  };
}

/** A server file as codex-auth wrote it before the granted scope became a list. */
function writeOldFile(paths: ReturnType<typeof statePaths>, scope: string): string {
  mkdirSync(paths.serversDir, { recursive: true, mode: 0o700 });
  const file = join(paths.serversDir, 'gh.json');
  writeFileSync(file, JSON.stringify({ serverName: 'gh', grant: grant({ scope, refreshToken: 'rt' }) }), { mode: 0o600 });
  return file;
}

describe('server state files', () => {
  it('reads the granted scope of files written before it was a list, space- or comma-separated', () => {
    for (const [written, expected] of [
      ['mcp:tools offline_access', ['mcp:tools', 'offline_access']],
      ['repo,read:org', ['repo', 'read:org']],
      ['', []],
    ] as const) {
      const { paths, store } = freshStore();
      writeOldFile(paths, written);
      assert.deepEqual(store.server('gh').grant?.tokens.scopes, expected, `server() reads ${JSON.stringify(written)}`);
      assert.deepEqual(store.knownServers()[0]?.grant?.tokens.scopes, expected, `knownServers() reads ${JSON.stringify(written)}`);
      assert.equal('scope' in (store.server('gh').grant?.tokens ?? {}), false);
    }
  });

  it('writes the list back on the next update, keeping everything else', () => {
    const { paths, store } = freshStore();
    const file = writeOldFile(paths, 'repo,read:org');
    store.rememberClientName('gh', 'Claude Code');
    const onDisk = JSON.parse(readFileSync(file, 'utf8')) as { clientName: string; grant: { tokens: Record<string, unknown> } };
    assert.deepEqual(onDisk.grant.tokens, { accessToken: 'at', tokenType: 'Bearer', refreshToken: 'rt', scopes: ['repo', 'read:org'] });
    assert.equal(onDisk.clientName, 'Claude Code');
  });

  it('drops a rejected registration with the tokens, but not a newer one, and keeps the client name', () => {
    const { store } = freshStore();
    const clients = store.clients();
    clients.save(client('c1'));
    store.saveGrant('gh', grant({ scopes: [] }));
    store.rememberClientName('gh', 'Claude Code');
    store.dropGrant('gh', 'the server no longer accepts the registered client (invalid_client)', 5, client('c0-older'));
    assert.equal(clients.find(ISSUER)?.clientId, 'c1', 'another registration than the rejected one stays');
    store.dropGrant('gh', 'the server no longer accepts the registered client (invalid_client)', 6, client('c1'));
    assert.equal(clients.find(ISSUER), undefined);
    const state = store.server('gh');
    assert.equal(state.grant, undefined);
    assert.equal(state.needsLogin?.reason, 'the server no longer accepts the registered client (invalid_client)');
    assert.equal(state.clientName, 'Claude Code');
  });

  it('keeps the registration when dropping tokens for another reason', () => {
    const { store } = freshStore();
    store.clients().save(client('c1'));
    store.saveGrant('gh', grant({}));
    store.dropGrant('gh', 'the server rejected the refresh token (invalid_grant)', 5);
    assert.equal(store.clients().find(ISSUER)?.clientId, 'c1');
  });
});
