import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Grant } from '../../../src/oauth/flow.ts';
import { isFresh } from '../../../src/session/fresh.ts';
import { proxyRefreshMargin } from '../../../src/session/routes.ts';

function grant(tokens: Partial<Grant['tokens']>, obtainedAt = 0): Grant {
  return { obtainedAt, tokens: { accessToken: 'a', tokenType: 'Bearer', ...tokens } } as Grant;
}

const MINUTE = 60_000;

describe('freshness', () => {
  it('a known expiry is fresh while it lies beyond the margin', () => {
    assert.equal(isFresh(grant({ expiresAt: 20 * MINUTE }), 0, 15 * MINUTE), true);
    assert.equal(isFresh(grant({ expiresAt: 10 * MINUTE }), 0, 15 * MINUTE), false);
  });

  it('an unknown expiry is trusted for one margin, then refreshed when it can be', () => {
    assert.equal(isFresh(grant({ refreshToken: 'r' }, 0), 5 * MINUTE, 15 * MINUTE), true);
    assert.equal(isFresh(grant({ refreshToken: 'r' }, 0), 20 * MINUTE, 15 * MINUTE), false);
    assert.equal(isFresh(grant({}, 0), 20 * MINUTE, 15 * MINUTE), true, 'nothing to refresh with');
  });

  it('the proxy refreshes a minute ahead, or a quarter of a short lifetime', () => {
    assert.equal(proxyRefreshMargin(grant({ expiresAt: 60 * MINUTE }, 0)), MINUTE);
    assert.equal(proxyRefreshMargin(grant({ expiresAt: 8_000 }, 0)), 2_000);
    assert.equal(proxyRefreshMargin(grant({})), MINUTE);
  });
});
