// Everything a command touches from the outside world, injected so that each
// command's run function can be tested without a terminal, network or real home.
import { codexConfigPath } from '../codex/config.ts';
import { codexAuthHome, statePaths, type StatePaths } from '../store/paths.ts';
import { StateStore } from '../store/state.ts';
import type { BrowserOpener } from '../ui/browser.ts';
import { Output, type Streams } from '../ui/output.ts';

export interface GlobalOptions {
  config?: string;
  debug?: boolean;
  json?: boolean;
  color?: boolean;
}

/** This program as the system sees it: what a shim must not lead back to, and what Codex runs as the helper. */
export interface Program {
  /** The node binary running codex-auth. */
  node: string;
  /** codex-auth's entry script (bin/codex-auth.js), resolved. */
  script: string;
  /** Every path that is codex-auth itself, resolved: a `codex` found at one of them is a shim. */
  selfPaths: string[];
}

export interface CliContext {
  streams: Streams;
  env: NodeJS.ProcessEnv;
  out: Output;
  fetch: typeof fetch;
  now: () => number;
  openBrowser: BrowserOpener;
  paths: StatePaths;
  store: StateStore;
  configPath: string;
  program: Program;
}

/** The browser opener (and execa behind it) loads only when a login opens a browser. */
function lazyBrowserOpener(env: NodeJS.ProcessEnv): BrowserOpener {
  return async (url, onExitFailure) => (await import('../ui/browser.ts')).createBrowserOpener(env)(url, onExitFailure);
}

export function createContext(
  globals: GlobalOptions,
  program: Program,
  streams: Streams = process,
  env: NodeJS.ProcessEnv = process.env,
): CliContext {
  const paths = statePaths(codexAuthHome(env));
  const out = new Output(streams, { env, json: globals.json ?? false, debug: globals.debug ?? false, ...(globals.color === undefined ? {} : { color: globals.color }) });
  return {
    streams,
    env,
    out,
    fetch: globalThis.fetch,
    now: Date.now,
    openBrowser: lazyBrowserOpener(env),
    paths,
    store: new StateStore(paths, (message) => out.warn(message)),
    configPath: codexConfigPath(env, globals.config),
    program,
  };
}
