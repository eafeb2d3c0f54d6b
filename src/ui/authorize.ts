// The person's part of the authorization step: open the browser (or print the
// URL), then take whichever comes first, the loopback callback or a pasted
// redirect URL (so login works over SSH, where the browser is on another machine).
import { createInterface } from 'node:readline';
import { CodexAuthError } from '../errors.ts';
import type { CallbackListener } from '../oauth/callback.ts';
import { parsePastedRedirect } from '../oauth/callback.ts';
import { formatDuration } from '../oauth/http.ts';
import type { BrowserOpener } from './browser.ts';
import type { Output, Streams } from './output.ts';

export interface InteractiveAuthorizationOptions {
  serverName: string;
  out: Output;
  streams: Streams;
  openBrowser: BrowserOpener;
  useBrowser: boolean;
  timeoutMs: number;
}

type RefCounted = { ref?: () => void; unref?: () => void };

function waitForPaste(streams: Streams, redirectUri: string, out: Output, signal: AbortSignal): Promise<URL> {
  return new Promise((resolve) => {
    const input = streams.stdin as Streams['stdin'] & RefCounted;
    input.ref?.();
    const lines = createInterface({ input, terminal: false });
    // An open stdin pipe must not keep the process alive once the login is over.
    signal.addEventListener('abort', () => {
      lines.close();
      input.unref?.();
    }, { once: true });
    lines.on('line', (line) => {
      if (line.trim() === '') return;
      try {
        resolve(parsePastedRedirect(line.trim(), redirectUri));
        lines.close();
      } catch (error) {
        out.warn(error instanceof CodexAuthError ? error.message : 'that does not look like the redirect URL; paste the whole address from the browser bar');
      }
    });
    // End of input is not an answer: keep waiting for the loopback callback.
  });
}

export function interactiveAuthorizer(options: InteractiveAuthorizationOptions) {
  return async ({ url, listener }: { url: URL; listener: CallbackListener }): Promise<URL> => {
    const { out, serverName } = options;
    const opened = options.useBrowser && (await options.openBrowser(url));
    if (opened) {
      out.info(`Opened your browser to authorize ${serverName}. If it did not open, visit:\n  ${url.href}`);
    } else {
      out.info(`Open this URL in a browser to authorize ${serverName}:\n  ${url.href}`);
      out.info(`Then paste here the address the browser ends on (it starts with ${listener.redirectUri}):`);
    }
    out.info(out.color.dim('Waiting for the authorization to finish… (Ctrl-C to cancel)'));
    const stop = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(
          new CodexAuthError({
            kind: 'authorization',
            step: 'callback',
            server: serverName,
            message: `no answer from the browser within ${formatDuration(options.timeoutMs)}`,
            hint: `run codex-auth login ${serverName} again; use --no-browser to paste the redirect URL by hand`,
          }),
        );
      }, options.timeoutMs);
    });
    try {
      return await Promise.race([listener.waitForCallback(stop.signal), waitForPaste(options.streams, listener.redirectUri, out, stop.signal), timeout]);
    } finally {
      clearTimeout(timer);
      stop.abort();
    }
  };
}
