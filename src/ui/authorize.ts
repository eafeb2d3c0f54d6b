// The person's part of the authorization step: open the browser (or print the
// URL), then take whichever comes first, the loopback callback or a pasted
// redirect URL (so login works over SSH, where the browser is on another machine).
import { createInterface } from 'node:readline';
import { CodexAuthError } from '../errors.ts';
import type { CallbackListener } from '../oauth/callback.ts';
import { parsePastedRedirect } from '../oauth/callback.ts';
import { formatDuration } from '../oauth/http.ts';
import type { BrowserLaunch, BrowserOpener } from './browser.ts';
import { writeHandoff, type Handoff } from './handoff.ts';
import type { Output, Streams } from './output.ts';
import { shellCommand } from '../shell.ts';

export interface InteractiveAuthorizationOptions {
  serverName: string;
  out: Output;
  streams: Streams;
  openBrowser: BrowserOpener;
  useBrowser: boolean;
  timeoutMs: number;
  /** A private (0700) directory for the page that hands the URL to the browser. */
  handoffDir: string;
}

type RefCounted = { ref?: () => void; unref?: () => void };

/** Resolves with the first valid pasted redirect URL; calls `onEnd` if input ends without one. */
function waitForPaste(streams: Streams, redirectUri: string, out: Output, signal: AbortSignal, onEnd: () => void): Promise<URL> {
  return new Promise((resolve) => {
    const input = streams.stdin as Streams['stdin'] & RefCounted;
    input.ref?.();
    const lines = createInterface({ input, terminal: false });
    let pasted = false;
    // An open stdin pipe must not keep the process alive once the login is over.
    signal.addEventListener('abort', () => {
      lines.close();
      input.unref?.();
    }, { once: true });
    lines.on('line', (line) => {
      if (line.trim() === '' || pasted) return;
      try {
        resolve(parsePastedRedirect(line.trim(), redirectUri));
        pasted = true;
        lines.close();
      } catch (error) {
        out.warn(error instanceof CodexAuthError ? error.message : 'that does not look like the redirect URL; paste the whole address from the browser bar');
      }
    });
    lines.on('close', () => {
      if (!pasted && !signal.aborted) onEnd();
    });
  });
}

function failure(serverName: string, message: string, hint: string): CodexAuthError {
  return new CodexAuthError({ kind: 'authorization', step: 'callback', server: serverName, message, hint });
}

/**
 * The browser's part. The loopback callback and a pasted redirect are both awaited; when no
 * browser is working (none, it could not start, or it exited with an error) the URL is printed at
 * once, and input that ends without a pasted URL stops the login instead of waiting for nothing.
 */
export function interactiveAuthorizer(options: InteractiveAuthorizationOptions) {
  return async ({ url, listener }: { url: URL; listener: CallbackListener }): Promise<URL> => {
    const { out, serverName } = options;
    const stop = new AbortController();
    let rejectLogin: (error: CodexAuthError) => void = () => {};
    const stopped = new Promise<never>((_, reject) => {
      rejectLogin = reject;
    });
    let browserWorking = false;
    let inputEnded = false;
    const retry = `run ${shellCommand(['codex-auth', 'login', serverName])} again`;
    const endOfInput = () =>
      rejectLogin(failure(serverName, 'standard input ended without a redirect URL, and no browser is waiting for the authorization', `${retry} in a terminal and paste the address the browser ends on, or pipe that address in`));
    const promptForPaste = () => {
      out.info(`Open this URL in a browser to authorize ${serverName}:\n  ${url.href}`);
      out.info(`Then paste here the address the browser ends on (it starts with ${listener.redirectUri}):`);
      if (inputEnded) endOfInput();
    };
    let handoff: Handoff | undefined;
    const openBrowser = async (): Promise<BrowserLaunch> => {
      try {
        handoff = writeHandoff(options.handoffDir, url);
      } catch (error) {
        return { opened: false, problem: `could not write the page for it in ${options.handoffDir}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}` };
      }
      return options.openBrowser(handoff.page, (problem) => {
        if (stop.signal.aborted) return;
        browserWorking = false;
        out.warn(`the browser did not open the page (${problem})`);
        promptForPaste();
      });
    };
    const launched = options.useBrowser ? await openBrowser() : { opened: false as const };
    if (launched.opened) {
      browserWorking = true;
      out.info(`Opened your browser to authorize ${serverName}. If it did not open, visit:\n  ${url.href}`);
    } else {
      if ('problem' in launched && launched.problem) out.warn(`could not start a browser (${launched.problem})`);
      promptForPaste();
    }
    out.info(out.color.dim('Waiting for the authorization to finish… (Ctrl-C to cancel)'));
    const paste = waitForPaste(options.streams, listener.redirectUri, out, stop.signal, () => {
      inputEnded = true;
      if (!browserWorking) endOfInput();
    });
    const timer = setTimeout(() => {
      rejectLogin(failure(serverName, `no answer from the browser within ${formatDuration(options.timeoutMs)}`, `${retry}; use --no-browser to paste the redirect URL by hand`));
    }, options.timeoutMs);
    try {
      return await Promise.race([listener.waitForCallback(stop.signal), paste, stopped]);
    } finally {
      clearTimeout(timer);
      stop.abort();
      handoff?.remove();
    }
  };
}
