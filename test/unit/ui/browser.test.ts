import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { isAllowedUrl as isOpenableUrl } from '../../../src/oauth/http.ts';
import { browserCommand, canOpenBrowser, createBrowserOpener } from '../../../src/ui/browser.ts';

describe('browser opening', () => {
  it('opens only https, and http on loopback', () => {
    assert.equal(isOpenableUrl(new URL('https://as.example.com/authorize?x=1')), true);
    assert.equal(isOpenableUrl(new URL('http://127.0.0.1:8080/auth')), true);
    assert.equal(isOpenableUrl(new URL('http://localhost/auth')), true);
    assert.equal(isOpenableUrl(new URL('http://as.example.com/authorize')), false);
    assert.equal(isOpenableUrl(new URL('file:///etc/passwd')), false);
    assert.equal(isOpenableUrl(new URL('javascript:alert(1)')), false);
  });

  it('splits a $BROWSER entry into argv without a shell; %s stands for the URL', () => {
    const url = 'https://as.example.com/a?b=1&c=$(rm -rf ~)';
    assert.deepEqual(browserCommand('firefox', url), ['firefox', url]);
    assert.deepEqual(browserCommand('  open -a  Safari ', url), ['open', '-a', 'Safari', url]);
    assert.deepEqual(browserCommand('lynx %s --dump', url), ['lynx', url, '--dump']);
  });

  it('runs the first $BROWSER entry that starts, with the URL as one argument', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'codex-auth-browser-'));
    try {
      const script = join(dir, 'fake-browser');
      const log = join(dir, 'opened');
      writeFileSync(script, `#!/bin/sh\nprintf '%s|%s' "$#" "$1" > "${log}"\n`);
      chmodSync(script, 0o755);
      const url = new URL('https://as.example.com/authorize?a=1&b=two words');
      const opened = await createBrowserOpener({ BROWSER: `${join(dir, 'missing-browser')}:${script}` }, 'linux')(url);
      assert.deepEqual(opened, { opened: true });
      for (let waited = 0; waited < 50; waited += 1) {
        try {
          if (readFileSync(log, 'utf8')) break;
        } catch {
          // the detached browser has not written yet
        }
        await delay(20);
      }
      assert.equal(readFileSync(log, 'utf8'), `1|${url.href}`);
      assert.equal((await createBrowserOpener({ BROWSER: script }, 'linux')(new URL('http://as.example.com/x'))).opened, false, 'refuses plain http elsewhere');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('over SSH with no display and no $BROWSER there is nothing to open', async () => {
    assert.deepEqual(await createBrowserOpener({ SSH_CONNECTION: '1 2 3 4' }, 'linux')(new URL('https://as.example.com/')), { opened: false });
    assert.equal(canOpenBrowser({ SSH_CONNECTION: '1 2 3 4' }, 'linux'), false);
    assert.equal(canOpenBrowser({ BROWSER: 'w3m' }, 'linux'), true);
    assert.equal(canOpenBrowser({ DISPLAY: ':0' }, 'linux'), true);
    assert.equal(canOpenBrowser({}, 'darwin'), true);
  });

  it('says why a browser could not start, and reports one that exits with an error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'codex-auth-browser-'));
    try {
      const missing = join(dir, 'no-such-browser');
      assert.deepEqual(await createBrowserOpener({ BROWSER: missing }, 'linux')(new URL('https://as.example.com/')), { opened: false, problem: `${missing}: ENOENT` });
      const failing = join(dir, 'failing-browser');
      writeFileSync(failing, '#!/bin/sh\nexit 3\n');
      chmodSync(failing, 0o755);
      // The browser is unref'd (a login never waits for it); a login's own wait keeps the process up.
      const keepAlive = setInterval(() => {}, 1000);
      const failed = new Promise<string>((resolve) => {
        void createBrowserOpener({ BROWSER: failing }, 'linux')(new URL('https://as.example.com/'), resolve).then((launch) => assert.deepEqual(launch, { opened: true }));
      });
      assert.equal(await failed, `${failing} exited with code 3`);
      clearInterval(keepAlive);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
