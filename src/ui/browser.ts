// Opens the authorization URL the way git, xdg-open and Python do: `$BROWSER`
// first (a ':'-separated list, `%s` replaced by the URL), else the platform's
// opener. Never through a shell, and only http(s) URLs (http only for loopback).
import { execa } from 'execa';
import { isAllowedUrl } from '../oauth/http.ts';

export type BrowserOpener = (url: URL) => Promise<boolean>;

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

/** Starts the browser and resolves true once the process has started; the browser is not awaited. */
async function launch(argv: string[], env: NodeJS.ProcessEnv): Promise<boolean> {
  const [file, ...args] = argv;
  if (!file) return false;
  try {
    const child = execa(file, args, { env, stdio: 'ignore', detached: true, cleanup: false, reject: false, shell: false });
    const started = await new Promise<boolean>((resolve) => {
      child.once('spawn', () => resolve(true));
      child.once('error', () => resolve(false));
    });
    child.unref();
    void child.catch(() => undefined);
    return started;
  } catch {
    return false;
  }
}

export function createBrowserOpener(env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): BrowserOpener {
  return async (url) => {
    if (!isAllowedUrl(url)) return false;
    const fromEnv = browserEntries(env);
    const candidates = fromEnv.length > 0 ? fromEnv.map((entry) => browserCommand(entry, url.href)) : platformCommands(platform, env).map((cmd) => [...cmd, url.href]);
    for (const argv of candidates) {
      if (await launch(argv, env)) return true;
    }
    return false;
  };
}

/** Whether there is anything to open a browser with: `$BROWSER`, or the platform's opener with a display. */
export function canOpenBrowser(env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): boolean {
  return browserEntries(env).length > 0 || platformCommands(platform, env).length > 0;
}
