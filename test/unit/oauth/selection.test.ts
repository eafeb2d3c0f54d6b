import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AuthorizationServer } from 'oauth4webapi';
import type { ProtectedResourceInfo } from '../../../src/oauth/discovery.ts';
import { canonicalResourceUrl, selectResource } from '../../../src/oauth/resource.ts';
import { parseScopeList, selectScopes, unionScopes } from '../../../src/oauth/scopes.ts';
import { assertCodexAuthError } from './fake-fetch.ts';

const prm = (resource: string, scopesSupported?: string[]): ProtectedResourceInfo => ({
  resource,
  authorizationServers: ['https://as.example.com'],
  metadataUrl: 'https://mcp.example.com/.well-known/oauth-protected-resource',
  metadata: {},
  ...(scopesSupported ? { scopesSupported } : {}),
});
const as = (scopes?: string[]): AuthorizationServer => ({ issuer: 'https://as.example.com', ...(scopes ? { scopes_supported: scopes } : {}) });

describe('canonicalResourceUrl', () => {
  const cases: [string, string][] = [
    ['HTTPS://MCP.Example.COM/Mcp', 'https://mcp.example.com/Mcp'],
    ['https://mcp.example.com/', 'https://mcp.example.com'],
    ['https://mcp.example.com', 'https://mcp.example.com'],
    ['https://mcp.example.com:443/mcp#frag', 'https://mcp.example.com/mcp'],
    ['https://mcp.example.com:8443', 'https://mcp.example.com:8443'],
    ['https://mcp.example.com/server/mcp/', 'https://mcp.example.com/server/mcp/'],
    ['https://mcp.example.com/mcp?tenant=a', 'https://mcp.example.com/mcp?tenant=a'],
  ];
  for (const [input, expected] of cases) it(`${input} -> ${expected}`, () => assert.equal(canonicalResourceUrl(new URL(input)), expected));
});

describe('selectResource', () => {
  const mcpUrl = new URL('https://My-Resource-Server.example.com/mcp');
  it('prefers the override, exactly as given', () => {
    assert.equal(selectResource({ override: 'https://api.fastmail.com/mcp', protectedResource: prm('https://x.example'), mcpUrl }), 'https://api.fastmail.com/mcp');
  });
  it('else the PRM resource exactly as published (user report 1: not the /mcp URL)', () => {
    assert.equal(selectResource({ protectedResource: prm('https://my-resource-server.example.com'), mcpUrl }), 'https://my-resource-server.example.com');
  });
  it('else the canonical MCP URL', () => {
    assert.equal(selectResource({ mcpUrl }), 'https://my-resource-server.example.com/mcp');
  });
  it('rejects an override that is not a URL', () => {
    assert.throws(() => selectResource({ override: 'mcp.example.com', mcpUrl }), (error) => assertCodexAuthError(error, { kind: 'config' }));
  });
});

describe('selectScopes', () => {
  const table: [string, Parameters<typeof selectScopes>[0], string[] | undefined][] = [
    ['explicit wins over everything', { explicit: ['user:a'], challenge: ['c'], protectedResource: prm('r', ['p']), authorizationServer: as(['offline_access']) }, ['user:a']],
    ['challenge wins over PRM', { challenge: ['c1', 'c2'], protectedResource: prm('r', ['p']) }, ['c1', 'c2']],
    ['PRM scopes_supported when no challenge scope', { protectedResource: prm('r', ['p1', 'p2']) }, ['p1', 'p2']],
    ['empty scopes_supported means omit', { protectedResource: prm('r', []) }, undefined],
    ['nothing known means omit', { protectedResource: prm('r') }, undefined],
    ['empty explicit list is no choice', { explicit: [], challenge: ['c'] }, ['c']],
    ['offline_access added when the AS lists it', { protectedResource: prm('r', ['mcp:basic']), authorizationServer: as(['mcp:basic', 'offline_access']) }, ['mcp:basic', 'offline_access']],
    ['offline_access added to challenge scopes too', { challenge: ['mcp:basic'], authorizationServer: as(['offline_access']) }, ['mcp:basic', 'offline_access']],
    ['offline_access not added when the AS does not list it', { protectedResource: prm('r', ['mcp:basic', 'mcp:read']), authorizationServer: as(['mcp:basic', 'mcp:read']) }, ['mcp:basic', 'mcp:read']],
    ['offline_access not duplicated', { protectedResource: prm('r', ['https://www.fastmail.com/dev/mcp', 'offline_access']), authorizationServer: as(['offline_access']) }, ['https://www.fastmail.com/dev/mcp', 'offline_access']],
    ['offline_access alone is never asked for', { authorizationServer: as(['offline_access']) }, undefined],
    ['explicit scopes are not extended', { explicit: ['a'], authorizationServer: as(['offline_access']) }, ['a']],
    ['offline_access from PRM dropped when the AS does not list it (SEP-2207)', { protectedResource: prm('r', ['mcp', 'offline_access']), authorizationServer: as(['mcp']) }, ['mcp']],
    ['offline_access from a challenge dropped when the AS lists no scopes', { challenge: ['offline_access', 'mcp'] }, ['mcp']],
    ['a selection of only an unlisted offline_access is omitted', { protectedResource: prm('r', ['offline_access']), authorizationServer: as([]) }, undefined],
    ['explicit offline_access is the user\'s choice', { explicit: ['mcp', 'offline_access'], authorizationServer: as([]) }, ['mcp', 'offline_access']],
  ];
  for (const [name, input, expected] of table) it(name, () => assert.deepEqual(selectScopes(input), expected));
});

describe('parseScopeList', () => {
  it('reads space- and comma-separated scopes (GitHub), and an empty scope as none', () => {
    assert.deepEqual(parseScopeList('a b'), ['a', 'b']);
    assert.deepEqual(parseScopeList('repo,read:org'), ['repo', 'read:org']);
    assert.deepEqual(parseScopeList(' repo, read:org  gist '), ['repo', 'read:org', 'gist']);
    assert.deepEqual(parseScopeList('https://www.fastmail.com/dev/mcp offline_access'), ['https://www.fastmail.com/dev/mcp', 'offline_access']);
    assert.deepEqual(parseScopeList(''), []);
  });
});

describe('unionScopes', () => {
  it('keeps order and drops duplicates', () => {
    assert.deepEqual(unionScopes(['a', 'b'], ['b', 'c']), ['a', 'b', 'c']);
    assert.deepEqual(unionScopes(undefined, ['x']), ['x']);
    assert.deepEqual(unionScopes(undefined, undefined), []);
  });
});
