// A headless "browser" for the authorization step: it drives oidc-provider's interaction pages
// (test/peers/auth-server.ts) with a cookie jar, following redirects by hand, until the authorization
// server sends it away to the client's redirect_uri. Usable in-process or as `$BROWSER <url>`.
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type BrowserMode = 'approve' | 'deny' | 'tamper-state' | 'tamper-iss' | 'record-only';

export const BROWSER_MODES: readonly BrowserMode[] = ['approve', 'deny', 'tamper-state', 'tamper-iss', 'record-only'];

/** What tamper-iss puts in place of the authorization server's `iss`. */
export const TAMPERED_ISS = 'http://attacker.invalid';

const MAX_HOPS = 20;
let scriptsWritten = 0;
const REQUEST_TIMEOUT_MS = 10_000;
const INTERACTION_PAGE = /\/interaction\/[\w-]+$/;
// oidc-provider's device flow pages: an auto-submitting form, a confirmation form, and the end pages.
const AUTO_SUBMIT = /document\.forms\[0\]\.submit\(\)/;
const DEVICE_CONFIRM_FORM = 'op.deviceConfirmForm';
const DEVICE_FLOW_DONE = /<title>(Sign-in Success|Sign-in)<\/title>/;

/**
 * Writes an executable script in `dir` that runs browser-cli.ts with tsx (absolute paths, so any cwd
 * works) and returns its path, for use as `$BROWSER`.
 */
export function makeBrowserCommand(dir: string, options: { mode?: BrowserMode; logFile?: string } = {}): string {
  const cli = fileURLToPath(new URL('./browser-cli.ts', import.meta.url));
  const args = [process.execPath, '--import', import.meta.resolve('tsx'), cli, '--mode', options.mode ?? 'approve'];
  if (options.logFile) args.push('--log', options.logFile);
  // Numbered so that two commands in one dir (say, with different log files) never overwrite each other.
  const script = join(dir, `browser-${options.mode ?? 'approve'}-${++scriptsWritten}.sh`);
  writeFileSync(script, `#!/bin/sh\nexec ${args.map(shellQuote).join(' ')} "$@"\n`);
  chmodSync(script, 0o755);
  return script;
}

/**
 * The authorization URL a browser was handed: codex-auth gives a file: URL of its hand-off page
 * (src/ui/handoff.ts), which a real browser follows; this reads the page's link the same way.
 */
export function authorizationUrlOf(argument: string): string {
  if (!argument.startsWith('file:')) return argument;
  const page = readFileSync(new URL(argument), 'utf8');
  const href = /<a id="continue" href="([^"]*)"/.exec(page)?.[1];
  if (href === undefined) throw new Error(`browser: ${argument} is not a codex-auth hand-off page`);
  return href.replace(/&(amp|quot|#39|lt|gt);/g, (_, name: string) => ({ amp: '&', quot: '"', '#39': "'", lt: '<', gt: '>' })[name]!);
}

/**
 * Drives the authorization URL to the point where the authorization server redirects to the client,
 * and resolves with that redirect (altered as the mode asks), without delivering it.
 * record-only resolves with the URL it was given.
 */
export async function driveAuthorization(url: string, mode: BrowserMode = 'approve'): Promise<URL> {
  const start = new URL(url);
  if (mode === 'record-only') return start;
  const jar = new CookieJar();
  let next: { url: URL; method: 'GET' | 'POST'; form?: URLSearchParams } = { url: start, method: 'GET' };
  for (let hop = 0; hop < MAX_HOPS; hop++) {
    const response = await fetch(next.url, {
      method: next.method,
      redirect: 'manual',
      headers: jar.headerFor(next.url),
      body: next.form,
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    jar.store(response.headers.getSetCookie(), next.url);
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      const target = new URL(location, next.url);
      if (target.origin !== start.origin) return tamper(target, mode);
      next = { url: target, method: 'GET' };
    } else if (response.ok && INTERACTION_PAGE.test(next.url.pathname)) {
      await response.body?.cancel();
      const action = mode === 'deny' ? 'abort' : 'approve';
      next = { url: new URL(`${next.url.pathname}/${action}`, next.url), method: 'POST' };
    } else {
      const page = await response.text();
      const form = response.ok ? deviceFlowForm(page, mode) : undefined;
      if (form) next = { url: new URL(form.action, next.url), method: 'POST', form: form.fields };
      else if (response.ok && DEVICE_FLOW_DONE.test(page)) return next.url;
      else throw new Error(`browser: ${next.method} ${next.url.pathname} answered ${response.status}: ${page.slice(0, 300)}`);
    }
  }
  throw new Error(`browser: no redirect to the client after ${MAX_HOPS} hops`);
}

/** Delivers the final redirect to the client's loopback listener, as a browser would. */
export async function deliverRedirect(target: URL): Promise<number> {
  const response = await fetch(target, { redirect: 'manual', signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  await response.body?.cancel();
  return response.status;
}

/**
 * The form a user would submit on an RFC 8628 verification page (the user code is already in the
 * verification_uri_complete): the auto-submitted one, or the confirmation, aborted in deny mode.
 */
function deviceFlowForm(page: string, mode: BrowserMode): { action: string; fields: URLSearchParams } | undefined {
  const isConfirmation = page.includes(`id="${DEVICE_CONFIRM_FORM}"`);
  if (!AUTO_SUBMIT.test(page) && !isConfirmation) return undefined;
  const action = /<form[^>]*\saction="([^"]+)"/.exec(page)?.[1];
  if (!action) return undefined;
  const fields = new URLSearchParams();
  for (const [, name, value] of page.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"\s*\/?>/g)) {
    fields.append(name ?? '', value ?? '');
  }
  if (isConfirmation) fields.set(mode === 'deny' ? 'abort' : 'confirm', 'yes');
  return { action, fields };
}

function tamper(target: URL, mode: BrowserMode): URL {
  const altered = new URL(target);
  if (mode === 'tamper-state') altered.searchParams.set('state', `${target.searchParams.get('state') ?? ''}-tampered`);
  if (mode === 'tamper-iss') altered.searchParams.set('iss', TAMPERED_ISS);
  return altered;
}

// Enough of RFC 6265 for one host: cookies keyed by name and path, sent on path match, dropped on expiry.
class CookieJar {
  private readonly cookies = new Map<string, { name: string; value: string; path: string }>();

  store(setCookies: string[], requestUrl: URL): void {
    for (const header of setCookies) {
      const [pair = '', ...attributes] = header.split(';').map((part) => part.trim());
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      const attr = new Map(attributes.map((a) => [a.split('=')[0]!.toLowerCase(), a.slice(a.indexOf('=') + 1)]));
      const path = attr.get('path') ?? defaultPath(requestUrl);
      const key = `${name};${path}`;
      if (isExpired(attr)) this.cookies.delete(key);
      else this.cookies.set(key, { name, value, path });
    }
  }

  headerFor(url: URL): Record<string, string> {
    const matching = [...this.cookies.values()].filter((c) => pathMatches(url.pathname, c.path));
    return matching.length ? { cookie: matching.map((c) => `${c.name}=${c.value}`).join('; ') } : {};
  }
}

function isExpired(attr: Map<string, string>): boolean {
  const maxAge = attr.get('max-age');
  if (maxAge !== undefined) return Number(maxAge) <= 0;
  const expires = attr.get('expires');
  return expires !== undefined && Date.parse(expires) <= Date.now();
}

function defaultPath(url: URL): string {
  const lastSlash = url.pathname.lastIndexOf('/');
  return lastSlash > 0 ? url.pathname.slice(0, lastSlash) : '/';
}

function pathMatches(requestPath: string, cookiePath: string): boolean {
  if (requestPath === cookiePath) return true;
  return requestPath.startsWith(cookiePath) && (cookiePath.endsWith('/') || requestPath[cookiePath.length] === '/');
}

function shellQuote(arg: string): string {
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}
