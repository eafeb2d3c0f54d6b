// The refresh policy's decisions, as a table: for each lifetime a real server uses, the latest
// point before expiry at which each use refreshes, and what happens without a known expiry.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Grant } from '../../../src/oauth/flow.ts';
import { refreshDue, type RefreshPolicy } from '../../../src/session/policy.ts';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

function grant(lifetimeMs: number | undefined, obtainedAt = 0): Grant {
  const tokens = { accessToken: 'a', refreshToken: 'r', tokenType: 'Bearer', ...(lifetimeMs === undefined ? {} : { expiresAt: obtainedAt + lifetimeMs }) };
  return { obtainedAt, tokens } as Grant;
}

const REQUEST: RefreshPolicy = { use: 'request' };
const LAUNCH: RefreshPolicy = { use: 'launch' };
const ENVIRONMENT: RefreshPolicy = { use: 'environment', environmentMarginMs: 15 * MINUTE };

/** lifetime -> time left when the request and environment uses start refreshing. */
const TABLE: Array<[string, number, number, number]> = [
  ['30 s', 30 * SECOND, 7.5 * SECOND, 7.5 * SECOND],
  ['1 min', MINUTE, 15 * SECOND, 15 * SECOND],
  ['5 min (Keycloak)', 5 * MINUTE, MINUTE, 75 * SECOND],
  ['10 min', 10 * MINUTE, MINUTE, 2.5 * MINUTE],
  ['1 h', HOUR, MINUTE, 15 * MINUTE],
  ['24 h', 24 * HOUR, MINUTE, 15 * MINUTE],
];

describe('refresh policy: a token with a known lifetime', () => {
  for (const [label, lifetime, requestLeft, environmentLeft] of TABLE) {
    it(`${label}: request refreshes with ${requestLeft / SECOND} s left, environment with ${environmentLeft / SECOND} s, launch only once expired`, () => {
      const at = (left: number) => lifetime - left;
      for (const policy of [REQUEST, LAUNCH, ENVIRONMENT]) assert.equal(refreshDue(grant(lifetime), 0, policy), false, 'not when just obtained');
      assert.equal(refreshDue(grant(lifetime), at(requestLeft + 1), REQUEST), false);
      assert.equal(refreshDue(grant(lifetime), at(requestLeft), REQUEST), true);
      assert.equal(refreshDue(grant(lifetime), at(environmentLeft + 1), ENVIRONMENT), false);
      assert.equal(refreshDue(grant(lifetime), at(environmentLeft), ENVIRONMENT), true);
      assert.equal(refreshDue(grant(lifetime), at(1), LAUNCH), false);
      assert.equal(refreshDue(grant(lifetime), lifetime, LAUNCH), true);
      for (const policy of [REQUEST, LAUNCH, ENVIRONMENT]) assert.equal(refreshDue(grant(lifetime), lifetime + MINUTE, policy), true, 'expired');
    });
  }

  it('a refreshed token is good for at least three quarters of its life, whatever the margin', () => {
    const huge: RefreshPolicy = { use: 'environment', environmentMarginMs: 48 * HOUR };
    assert.equal(refreshDue(grant(10 * MINUTE), 7 * MINUTE, huge), false);
    assert.equal(refreshDue(grant(10 * MINUTE), 7.5 * MINUTE, huge), true);
  });

  it('a zero margin refreshes only expired tokens', () => {
    const none: RefreshPolicy = { use: 'environment', environmentMarginMs: 0 };
    assert.equal(refreshDue(grant(HOUR), HOUR - 1, none), false);
    assert.equal(refreshDue(grant(HOUR), HOUR, none), true);
  });
});

describe('refresh policy: no expires_in and not a JWT', () => {
  it('the proxy and the header helper wait for the server to say (a 401), however old the token', () => {
    assert.equal(refreshDue(grant(undefined), 30 * 24 * HOUR, REQUEST), false);
    assert.equal(refreshDue(grant(undefined), 30 * 24 * HOUR, LAUNCH), false);
  });

  it('a token going into an environment is renewed once older than the margin', () => {
    assert.equal(refreshDue(grant(undefined), 15 * MINUTE - 1, ENVIRONMENT), false);
    assert.equal(refreshDue(grant(undefined), 15 * MINUTE, ENVIRONMENT), true);
  });
});
