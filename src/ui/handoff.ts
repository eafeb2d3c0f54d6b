// The browser is handed a path, never the authorization URL: a command line is readable by every
// local user (/proc/<pid>/cmdline), and that URL carries the login's state, PKCE challenge and
// callback port. The page, 0600 in a 0700 directory of the state directory, sends the browser on.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export interface Handoff {
  /** What the browser is given: a file: URL of the page. */
  page: URL;
  /** Deletes the page; the login is over. */
  remove(): void;
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '"': '&quot;', "'": '&#39;', '<': '&lt;', '>': '&gt;' };

function escapeHtml(text: string): string {
  return text.replace(/[&"'<>]/g, (char) => HTML_ESCAPES[char]!);
}

/** A meta refresh for any browser, a script for those that ignore it on file: pages, and a link. */
function redirectPage(target: URL): string {
  const href = escapeHtml(target.href);
  const script = JSON.stringify(target.href).replace(/</g, '\\u003c');
  return `<!doctype html><html><head><meta charset="utf-8"><meta name="referrer" content="no-referrer"><meta http-equiv="refresh" content="0;url=${href}"><title>codex-auth login</title></head><body><p><a id="continue" href="${href}">Continue to the authorization server</a></p><script>location.replace(${script})</script></body></html>\n`;
}

/** A browser reads its page within seconds; one an hour old was left by a login stopped with Ctrl-C. */
const LEFT_BEHIND_MS = 60 * 60_000;

function removeLeftBehind(dir: string, now: number): void {
  for (const name of readdirSync(dir)) {
    if (!/^login-[0-9a-f]{24}\.html$/.test(name)) continue;
    const file = join(dir, name);
    try {
      if (now - statSync(file).mtimeMs > LEFT_BEHIND_MS) rmSync(file, { force: true });
    } catch {
      // Another login removed it first.
    }
  }
}

export function writeHandoff(dir: string, target: URL, now = Date.now()): Handoff {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  removeLeftBehind(dir, now);
  const file = join(dir, `login-${randomBytes(12).toString('hex')}.html`);
  writeFileSync(file, redirectPage(target), { mode: 0o600, flag: 'wx' });
  return { page: pathToFileURL(file), remove: () => rmSync(file, { force: true }) };
}
