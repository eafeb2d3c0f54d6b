// When the header helper treats a call as a possible retry after a rejection (and so checks the
// token with the server before handing it out again).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mayBeRetry, RETRY_WINDOW_MS, tokenFingerprint } from '../../../src/session/handout.ts';

describe('mayBeRetry', () => {
  const previous = { token: tokenFingerprint('token-1'), at: 1_000_000 };

  it('the same token asked for again within the window may be a retry; a new token or a first call never is', () => {
    assert.equal(mayBeRetry(undefined, 'token-1', 1_000_050, true), false);
    assert.equal(mayBeRetry(previous, 'token-2', 1_000_050, true), false);
    assert.equal(mayBeRetry(previous, 'token-1', 1_000_050, true), true);
    assert.equal(mayBeRetry(previous, 'token-1', 1_000_000 + RETRY_WINDOW_MS, true), false, 'a new thread much later is not checked');
  });

  it('a token with no known expiry is checked whenever it goes out again: a rejection is the only sign it ended', () => {
    assert.equal(mayBeRetry(previous, 'token-1', 1_000_000 + 10 * RETRY_WINDOW_MS, false), true);
  });

  it('never keeps the token itself', () => {
    assert.ok(!tokenFingerprint('a-secret-token-value').includes('secret'));
    assert.equal(tokenFingerprint('x'), tokenFingerprint('x'));
  });
});
