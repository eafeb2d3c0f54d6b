// Issue 17, item 7: a remote server's documents must not aim codex-auth at services on this
// machine. The real login flow runs against scripted remote servers through a fetch that records
// every request: a loopback endpoint, issuer or metadata URL named by a remote server is refused,
// and nothing is ever sent to this machine; a server that is itself on loopback may name them.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { login } from '../../../src/oauth/flow.ts';
import { isLocalHost } from '../../../src/oauth/http.ts';
import { MemoryClientStore } from '../../../src/oauth/registration.ts';
import { asMetadata, httpWith, json, rejectsWith, type Responder } from './fake-fetch.ts';

const MCP = 'https://mcp.example.com/mcp';
const PRM = 'https://mcp.example.com/.well-known/oauth-protected-resource/mcp';
const ISSUER = 'https://as.example.com';
/** Local services a remote document might name: a plain-http admin port, Redis, a loopback spelled oddly. */
const LOCAL_TARGETS = ['http://127.0.0.1:6379/x', 'http://localhost:8080/x', 'https://localhost./x', 'http://[::1]:9/x', 'https://app.localhost/x', 'https://0.0.0.0/x', 'https://[::ffff:127.0.0.1]/x'];

function remoteServers(change: { challengeMetadata?: string; authorizationServer?: string; endpoints?: Record<string, string> }) {
  const routes: Record<string, Responder> = {
    [`POST ${MCP}`]: () => new Response(null, { status: 401, headers: { 'www-authenticate': `Bearer resource_metadata="${change.challengeMetadata ?? PRM}"` } }),
    [`GET ${PRM}`]: () => json({ resource: MCP, authorization_servers: [change.authorizationServer ?? ISSUER] }),
    [`GET ${ISSUER}/.well-known/oauth-authorization-server`]: () => json(asMetadata(ISSUER, change.endpoints ?? {})),
  };
  return httpWith(routes);
}

async function attemptLogin(http: ReturnType<typeof httpWith>['http']) {
  return login(
    { serverName: 'remote', mcpUrl: MCP, clients: new MemoryClientStore() },
    { http, now: () => 0, progress: () => undefined, authorizeInteractively: () => Promise.reject(new Error('no browser in this test')) },
  );
}

const sentHere = (urls: string[]) => urls.filter((url) => isLocalHost(new URL(url.slice(url.indexOf(' ') + 1)).hostname));

describe('a remote server cannot aim codex-auth at this machine', () => {
  it('recognises every spelling of this machine, and not look-alikes', () => {
    for (const target of LOCAL_TARGETS) assert.equal(isLocalHost(new URL(target).hostname), true, target);
    for (const remote of ['https://localhost.example.com/', 'https://127.example.com/', 'https://[::ffff:8.8.8.8]/', 'https://10.0.0.1/']) assert.equal(isLocalHost(new URL(remote).hostname), false, remote);
  });

  for (const target of LOCAL_TARGETS) {
    for (const field of ['token_endpoint', 'registration_endpoint', 'revocation_endpoint']) {
      it(`refuses ${field} ${target} from a remote issuer`, async () => {
        const { http, urls } = remoteServers({ endpoints: { [field]: target } });
        await rejectsWith(attemptLogin(http), { kind: 'discovery', step: 'authorization-server-metadata', message: /which is on this machine while the server is not/ });
        assert.deepEqual(sentHere(urls()), []);
      });
    }
    it(`refuses an authorization server ${target} listed by a remote MCP server`, async () => {
      const { http, urls } = remoteServers({ authorizationServer: new URL(target).origin });
      await rejectsWith(attemptLogin(http), { step: 'authorization-server-metadata', message: /it is on this machine, and https:\/\/mcp\.example\.com, which names it, is not/ });
      assert.deepEqual(sentHere(urls()), []);
    });
    it(`refuses resource metadata at ${target} named by a remote MCP server's challenge`, async () => {
      const { http, urls } = remoteServers({ challengeMetadata: target });
      await rejectsWith(attemptLogin(http), { step: 'resource-metadata', message: /it is on this machine/ });
      assert.deepEqual(sentHere(urls()), []);
    });
  }

  it('a server on loopback may name loopback endpoints (local servers and tests keep working)', async () => {
    const local = 'http://127.0.0.1:4000';
    const { http, urls } = httpWith({
      [`POST ${local}/mcp`]: () => new Response(null, { status: 401, headers: { 'www-authenticate': `Bearer resource_metadata="http://localhost:4000/prm"` } }),
      'GET http://localhost:4000/prm': () => json({ resource: `${local}/mcp`, authorization_servers: ['http://localhost:4001'] }),
      'GET http://localhost:4001/.well-known/oauth-authorization-server': () => json(asMetadata('http://localhost:4001', { token_endpoint: 'http://127.0.0.1:4001/token' })),
    });
    await assert.rejects(
      login({ serverName: 'local', mcpUrl: `${local}/mcp`, clients: new MemoryClientStore() }, { http, now: () => 0, progress: () => undefined, authorizeInteractively: () => Promise.reject(new Error('stop here')) }),
      (error: unknown) => !String((error as Error).message).includes('on this machine'),
    );
    assert.ok(urls().includes('POST http://localhost:4001/register'), urls().join('\n'));
  });
});
