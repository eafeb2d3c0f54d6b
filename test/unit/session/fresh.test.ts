// ensureFresh against a scripted token endpoint and a real state directory: each token is
// refreshed at most once per process, a token another process obtained while this one waited
// for the lock is accepted, and a 401 forces one refresh whatever the expiry says.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { Grant } from '../../../src/oauth/flow.ts';
import { ensureFresh, type FreshnessDeps } from '../../../src/session/fresh.ts';
import type { RefreshPolicy } from '../../../src/session/policy.ts';
import { withServerLock } from '../../../src/store/lock.ts';
import { statePaths } from '../../../src/store/paths.ts';
import { StateStore } from '../../../src/store/state.ts';
import { asMetadata, httpWith, json } from '../oauth/fake-fetch.ts';

const ISSUER = 'https://as.example.com';
const MCP = 'https://mcp.example.com/mcp';
const REQUEST: RefreshPolicy = { use: 'request' };
const root = mkdtempSync(join(tmpdir(), 'codex-auth-fresh-'));
after(() => rmSync(root, { recursive: true, force: true }));

let clock = 1_000_000;
const now = () => clock;
let counter = 0;

function setup(tokenAnswer: () => Record<string, unknown>) {
  const paths = statePaths(join(root, `home-${++counter}`));
  const store = new StateStore(paths);
  const server = `s${counter}`;
  const fake = httpWith({ [`POST ${ISSUER}/token`]: () => json(tokenAnswer()) });
  const deps: FreshnessDeps = { store, paths, http: fake.http, now };
  const refreshes = () => fake.requests.length;
  return { deps, store, server, refreshes };
}

function grant(server: string, accessToken: string, lifetimeMs: number, obtainedAt = clock): Grant {
  return {
    serverName: server,
    mcpUrl: MCP,
    resource: MCP,
    issuer: ISSUER,
    authorizationServer: asMetadata(ISSUER) as Grant['authorizationServer'],
    client: { issuer: ISSUER, clientId: 'c', tokenEndpointAuthMethod: 'none', redirectUris: [], source: 'dynamic', createdAt: 0 },
    tokens: { accessToken, refreshToken: 'rt', tokenType: 'Bearer', expiresAt: obtainedAt + lifetimeMs },
    obtainedAt,
  };
}

describe('ensureFresh', () => {
  it('refreshes a due token once; a refreshed token that is due at once is used until a 401', async () => {
    let issued = 0;
    const { deps, store, server, refreshes } = setup(() => ({ access_token: `zero-${++issued}`, token_type: 'Bearer', expires_in: 0, refresh_token: 'rt' }));
    store.saveGrant(server, grant(server, 'old', 60_000, clock - 60_000));
    const first = await ensureFresh(deps, server, MCP, REQUEST);
    assert.equal(first.status, 'refreshed');
    for (let i = 0; i < 3; i++) assert.equal((await ensureFresh(deps, server, MCP, REQUEST)).status, 'fresh');
    assert.equal(refreshes(), 1, 'no refresh loop on tokens that are due on arrival');
    const afterRejection = await ensureFresh(deps, server, MCP, REQUEST, 'zero-1');
    assert.equal(afterRejection.status, 'refreshed', 'a 401 still refreshes it');
    assert.equal(refreshes(), 2);
  });

  it('a failed refresh is not repeated for the same token in this process', async () => {
    const { deps, store, server, refreshes } = setup(() => ({ error: 'temporarily_unavailable' }));
    store.saveGrant(server, grant(server, 'failing', 60_000, clock - 59_000));
    assert.equal((await ensureFresh(deps, server, MCP, REQUEST)).status, 'stale');
    assert.equal((await ensureFresh(deps, server, MCP, REQUEST)).status, 'fresh');
    assert.equal(refreshes(), 1);
  });

  it('accepts a token another process stored while this one waited for the lock, even one the rule would call due', async () => {
    const { deps, store, server, refreshes } = setup(() => ({ access_token: 'ours', token_type: 'Bearer', expires_in: 600 }));
    store.saveGrant(server, grant(server, 'expired', 60_000, clock - 120_000));
    let result: Promise<Awaited<ReturnType<typeof ensureFresh>>> | undefined;
    await withServerLock(deps.paths, server, async () => {
      result = ensureFresh(deps, server, MCP, REQUEST);
      await new Promise((resolve) => setTimeout(resolve, 300));
      // The other process's fresh 1-minute token, already inside its last 15 s.
      store.saveGrant(server, grant(server, 'theirs', 60_000, clock - 50_000));
    });
    const outcome = await result!;
    assert.equal(outcome.status, 'fresh');
    assert.equal('grant' in outcome && outcome.grant.tokens.accessToken, 'theirs');
    assert.equal(refreshes(), 0);
  });

  it('a 401 refreshes a token whose expiry says it is fresh, once; a token already replaced is not refreshed', async () => {
    let issued = 0;
    const { deps, store, server, refreshes } = setup(() => ({ access_token: `new-${++issued}`, token_type: 'Bearer', expires_in: 3600 }));
    store.saveGrant(server, grant(server, 'rejected', 3_600_000));
    const refreshed = await ensureFresh(deps, server, MCP, REQUEST, 'rejected');
    assert.equal('grant' in refreshed && refreshed.grant.tokens.accessToken, 'new-1');
    const again = await ensureFresh(deps, server, MCP, REQUEST, 'rejected');
    assert.equal(again.status, 'fresh');
    assert.equal('grant' in again && again.grant.tokens.accessToken, 'new-1');
    assert.equal(refreshes(), 1);
  });
});
