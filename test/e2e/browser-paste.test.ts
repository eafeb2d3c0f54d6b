// Truthful browser and paste handling (issue #13): a browser that cannot start or exits with an
// error is reported at once and the login falls back to the printed URL and a pasted redirect;
// input that ends without a URL stops the login; a stale or truncated paste and a denial say so.
import assert from 'node:assert/strict';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { execa } from 'execa';
import { driveAuthorization, type BrowserMode } from '../peers/browser.ts';
import { CLI, exitStatus, runCli } from './harness.ts';
import { storedState, withLayout, type Layout } from './fixtures.ts';

interface PasteRun {
  code: number;
  stderr: string;
}

/** Runs `login demo`, and once it prints the URL, authorizes in the headless browser and pastes `edit(redirect)`. */
async function loginByPasting(layout: Layout, args: string[], env: NodeJS.ProcessEnv, mode: BrowserMode, edit: (redirect: URL) => string): Promise<PasteRun> {
  const child = execa(process.execPath, [CLI, 'login', 'demo', ...args], { env: { ...layout.sandbox.env, ...env }, extendEnv: false, reject: false, stdin: 'pipe', timeout: 60_000 });
  let stderr = '';
  let pasted = false;
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    const match = /Open this URL in a browser[^\n]*\n\s*(\S+)\n/.exec(stderr);
    if (!match?.[1] || pasted) return;
    pasted = true;
    void driveAuthorization(match[1], mode).then((redirect) => child.stdin!.end(`${edit(redirect)}\n`));
  });
  const result = await child;
  return { code: exitStatus(result), stderr };
}

function failingBrowser(layout: Layout): string {
  const script = join(layout.sandbox.root, 'failing-browser');
  writeFileSync(script, '#!/bin/sh\nexit 3\n');
  chmodSync(script, 0o755);
  return script;
}

describe('browser and paste handling', () => {
  it('a browser that exits with an error is reported at once, and the pasted redirect logs in', async () => {
    await withLayout({}, async (layout) => {
      const browser = failingBrowser(layout);
      const result = await loginByPasting(layout, [], { BROWSER: browser }, 'approve', (redirect) => redirect.href);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stderr, new RegExp(`! the browser did not open the page \\(${browser.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} exited with code 3\\)\\nOpen this URL in a browser`));
      assert.ok(storedState(layout.sandbox)?.grant);
    });
  });

  it('a browser that cannot start is reported; a truncated paste is a stale or truncated URL, not a missing iss', async () => {
    await withLayout({}, async (layout) => {
      const missing = join(layout.sandbox.root, 'no-such-browser');
      const result = await loginByPasting(layout, [], { BROWSER: missing }, 'approve', (redirect) => redirect.href.split('&')[0]!);
      assert.equal(result.code, 6, result.stderr);
      assert.match(result.stderr, /! could not start a browser \(.*no-such-browser: ENOENT\)/);
      assert.match(result.stderr, /^error: demo: callback: The authorization response does not belong to this login \(state mismatch\): a stale or truncated URL/m);
      assert.doesNotMatch(result.stderr, /lacks the iss/);
      assert.equal(storedState(layout.sandbox)?.grant, undefined);
    });
  });

  it('a pasted denial reports the denial', async () => {
    await withLayout({}, async (layout) => {
      const result = await loginByPasting(layout, ['--no-browser'], {}, 'deny', (redirect) => redirect.href);
      assert.equal(result.code, 6, result.stderr);
      assert.match(result.stderr, /^error: demo: callback: The authorization server did not grant access\.$/m);
      assert.match(result.stderr, /server said: access_denied/);
      // Typed by hand: no state, no iss, just the error.
      const bare = await loginByPasting(layout, ['--no-browser'], {}, 'approve', (redirect) => `${redirect.origin}${redirect.pathname}?error=access_denied`);
      assert.equal(bare.code, 6, bare.stderr);
      assert.match(bare.stderr, /The authorization server did not grant access\.\n\s+server said: access_denied/);
      assert.equal(storedState(layout.sandbox)?.grant, undefined);
    });
  });

  it('input that ends without a redirect URL stops the login at once, with or without a failed browser', async () => {
    await withLayout({}, async (layout) => {
      for (const env of [{}, { BROWSER: failingBrowser(layout) }]) {
        const started = Date.now();
        const result = await runCli(layout.sandbox, ['login', 'demo', ...('BROWSER' in env ? [] : ['--no-browser'])], { env, input: '' });
        assert.equal(result.code, 6, result.stderr);
        assert.match(result.stderr, /^error: demo: callback: standard input ended without a redirect URL, and no browser is waiting for the authorization$/m);
        assert.ok(Date.now() - started < 20_000, 'no 10-minute wait');
      }
    });
  });
});
