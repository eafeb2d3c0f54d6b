// Which wiring an entry gets, and the helper command line Codex runs for it.
import { shellWord } from '../shell.ts';
import type { Wiring } from '../store/state.ts';
import { hasFeature } from './versions.ts';

/** Where the helper's pieces are: all absolute, since Codex runs it with a cleared environment. */
export interface HelperLocation {
  /** The node binary running codex-auth now. */
  node: string;
  /** codex-auth's own entry script. */
  script: string;
  configPath: string;
  /** CODEX_AUTH_HOME, which the cleared environment would not carry. */
  stateDir: string;
}

/**
 * The http_headers_helper command line: Codex runs it with `sh -c`, in the thread's directory,
 * with only PATH, HOME and a few locale variables, so every path is absolute and spelled out.
 * It carries no secret (process listings show it).
 */
export function helperCommandLine(location: HelperLocation, serverName: string): string {
  return [location.node, location.script, 'headers', serverName, '--config', location.configPath, '--state-dir', location.stateDir]
    .map(shellWord)
    .join(' ');
}

/**
 * The wiring config.toml should carry. The helper serves every Codex that can run it, however it
 * is started (the alias, an IDE, the desktop app, the background server), and `run` adds
 * per-launch overrides for an older Codex; the variable is written only when the Codex in use
 * predates the helper and no entry was ever wired for a newer one (`helperInUse`), so wiring
 * never moves back from the helper once a Codex that reads it has used this config.
 */
export function chooseWiring(codexVersion: string | undefined, helperInUse: boolean): Wiring {
  return helperInUse || hasFeature(codexVersion, 'headersHelper') ? 'helper' : 'environment';
}
