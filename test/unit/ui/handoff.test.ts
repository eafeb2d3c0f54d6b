import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { writeHandoff } from '../../../src/ui/handoff.ts';

describe('the browser hand-off page', () => {
  it('is private, sends the browser on, and goes when the login ends', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'codex-auth-handoff-')), 'browser');
    try {
      const handoff = writeHandoff(dir, new URL('https://as.example.com/authorize?state=s&x="<y>"'));
      const file = fileURLToPath(handoff.page);
      assert.equal(statSync(dir).mode & 0o777, 0o700);
      assert.equal(statSync(file).mode & 0o777, 0o600);
      assert.match(readFileSync(file, 'utf8'), /url=https:\/\/as\.example\.com\/authorize\?state=s&amp;x=%22%3Cy%3E%22/);
      handoff.remove();
      assert.deepEqual(readdirSync(dir), []);
    } finally {
      rmSync(join(dir, '..'), { recursive: true, force: true });
    }
  });

  it('a page left by a login stopped with Ctrl-C is removed by the next login after an hour; a fresh one (another login in progress) and other files stay', () => {
    const dir = mkdtempSync(join(tmpdir(), 'codex-auth-handoff-'));
    try {
      const old = join(dir, `login-${'a'.repeat(24)}.html`);
      const recent = join(dir, `login-${'b'.repeat(24)}.html`);
      const other = join(dir, 'notes.txt');
      for (const file of [old, recent, other]) writeFileSync(file, 'x', { mode: 0o600 });
      const now = Date.now();
      const twoHoursAgo = (now - 2 * 60 * 60_000) / 1000;
      utimesSync(old, twoHoursAgo, twoHoursAgo);
      utimesSync(other, twoHoursAgo, twoHoursAgo);
      const tenMinutesAgo = (now - 10 * 60_000) / 1000;
      utimesSync(recent, tenMinutesAgo, tenMinutesAgo);
      const handoff = writeHandoff(dir, new URL('https://as.example.com/authorize'), now);
      assert.equal(existsSync(old), false);
      assert.equal(existsSync(recent), true);
      assert.equal(existsSync(other), true);
      assert.equal(existsSync(fileURLToPath(handoff.page)), true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
