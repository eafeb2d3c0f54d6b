// Opens the authorization URL the way git, xdg-open and Python do: `$BROWSER`
// first (a ':'-separated list, `%s` replaced by the URL), else the platform's
// opener. Never through a shell, and only http(s) URLs (http only for loopback) or a page of
// codex-auth's own (src/ui/handoff.ts: the authorization URL stays out of the browser's argv).
import { execa } from 'execa';
import { isAllowedUrl } from '../oauth/http.ts';

/** Started, or why not (shown to the person). */
export type BrowserLaunch = { opened: true } | { opened: false; problem?: string };

/**
 * Opens the URL. `onExitFailure` hears later if the browser command, once started, exits with an
 * error (an opener such as xdg-open with no browser to hand it to), so the caller can fall back.
 */
export type BrowserOpener = (url: URL, onExitFailure?: (problem: string) => void) => Promise<BrowserLaunch>;

/** Splits one `$BROWSER` entry into argv without a shell: whitespace-separated, `%s` is the URL. */
export function browserCommand(entry: string, url: string): string[] {
  const words = entry.trim().split(/\s+/).filter(Boolean);
  const withUrl = words.map((word) => word.replaceAll('%s', url));
  return words.some((word) => word.includes('%s')) ? withUrl : [...withUrl, url];
}

function browserEntries(env: NodeJS.ProcessEnv): string[] {
  return (env.BROWSER ?? '').split(':').filter((entry) => entry.trim() !== '');
}

function platformCommands(platform: NodeJS.Platform, env: NodeJS.ProcessEnv): string[][] {
  if (platform === 'darwin') return [['open']];
  if (platform === 'win32') return [['rundll32', 'url.dll,FileProtocolHandler']];
  // Over SSH with no display there is nothing to open a browser on.
  if (!env.DISPLAY && !env.WAYLAND_DISPLAY) return [];
  return [['xdg-open']];
}

/** Starts the browser without waiting for it; resolves undefined once it has started, else why it could not. */
async function launch(argv: string[], env: NodeJS.ProcessEnv, onExitFailure: (problem: string) => void): Promise<string | undefined> {
  const [file, ...args] = argv;
  if (!file) return 'no command';
  try {
    const child = execa(file, args, { env, stdio: 'ignore', detached: true, cleanup: false, reject: false, shell: false });
    const problem = await new Promise<string | undefined>((resolve) => {
      child.once('spawn', () => resolve(undefined));
      child.once('error', (error: NodeJS.ErrnoException) => resolve(`${file}: ${error.code ?? error.message}`));
    });
    child.unref();
    if (problem === undefined) {
      void child.then((result) => {
        if (result.exitCode !== undefined && result.exitCode !== 0) onExitFailure(`${file} exited with code ${result.exitCode}`);
      });
    } else void child.catch(() => undefined);
    return problem;
  } catch (error) {
    return `${file}: ${(error as Error).message}`;
  }
}

export function createBrowserOpener(env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): BrowserOpener {
  return async (url, onExitFailure = () => {}) => {
    if (!isAllowedUrl(url) && url.protocol !== 'file:') return { opened: false, problem: 'only https URLs (http on loopback) are opened' };
    const fromEnv = browserEntries(env);
    const candidates = fromEnv.length > 0 ? fromEnv.map((entry) => browserCommand(entry, url.href)) : platformCommands(platform, env).map((cmd) => [...cmd, url.href]);
    if (candidates.length === 0) return { opened: false };
    const problems: string[] = [];
    for (const argv of candidates) {
      const problem = await launch(argv, env, onExitFailure);
      if (problem === undefined) return { opened: true };
      problems.push(problem);
    }
    return { opened: false, problem: problems.join('; ') };
  };
}

/** Whether there is anything to open a browser with: `$BROWSER`, or the platform's opener with a display. */
export function canOpenBrowser(env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): boolean {
  return browserEntries(env).length > 0 || platformCommands(platform, env).length > 0;
}
