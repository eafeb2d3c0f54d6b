// Which wiring an entry gets, the helper command line Codex runs for it, and how an entry is
// wired now. Kept apart from the rewrite (and its TOML editor) so that `run` can tell without
// loading it.
import { shellWord } from '../shell.ts';
import type { RewriteRecord, Wiring } from '../store/state.ts';
import type { McpServerEntry } from './config.ts';
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

export const BEARER_KEY = 'bearer_token_env_var';
export const HELPER_KEY = 'http_headers_helper';

/** The wiring to write, decided by the caller from the Codex versions in use. */
export interface WiringPlan {
  wiring: Wiring;
  /** The http_headers_helper command line for a server (helper wiring). */
  helperCommand: (serverName: string) => string;
  decidedFor?: string;
}

const OUR_VAR = /^CODEX_AUTH_[A-Z0-9_]+_TOKEN$/;
const OUR_HELPER = /codex-auth(\.js)?'?\s+headers\s/;

/** True when the entry's bearer_token_env_var is one codex-auth put there. */
export function isOurVar(entry: McpServerEntry, recordedVar: string | undefined): boolean {
  const current = entry.bearerTokenEnvVar;
  return current !== undefined && (current === recordedVar || OUR_VAR.test(current));
}

/** True when the entry's http_headers_helper runs codex-auth (this install or an earlier one). */
export function isOurHelper(entry: McpServerEntry, recordedCommand: string | undefined): boolean {
  const current = entry.httpHeadersHelper;
  return current !== undefined && (current === recordedCommand || OUR_HELPER.test(current));
}

/**
 * The user's own way of authenticating the entry, which codex-auth leaves alone unless forced:
 * their bearer_token_env_var or http_headers_helper, or an Authorization header (never replaced,
 * since it would win over anything codex-auth writes).
 */
export function userSetting(entry: McpServerEntry, recorded: RewriteRecord | undefined): { key: string; text: string; replaceable: boolean } | undefined {
  if (entry.bearerTokenEnvVar && !isOurVar(entry, recorded?.varName)) return { key: BEARER_KEY, text: `${BEARER_KEY} = ${entry.bearerTokenEnvVar}`, replaceable: true };
  if (entry.httpHeadersHelper && !isOurHelper(entry, recorded?.helperCommand)) return { key: HELPER_KEY, text: `${HELPER_KEY} = ${entry.httpHeadersHelper}`, replaceable: true };
  const header = [...Object.keys(entry.httpHeaders), ...Object.keys(entry.envHttpHeaders)].find((name) => name.toLowerCase() === 'authorization');
  return header ? { key: header, text: `an ${header} header in http_headers or env_http_headers`, replaceable: false } : undefined;
}

/** How the entry is wired now, by whom: what status and run compare with the record. */
export function currentWiring(entry: McpServerEntry, recorded: RewriteRecord | undefined): Wiring | undefined {
  if (isOurHelper(entry, recorded?.helperCommand) && !entry.bearerTokenEnvVar) return 'helper';
  if (isOurVar(entry, recorded?.varName) && !entry.httpHeadersHelper) return 'environment';
  return undefined;
}

/** True when the entry is wired as `plan` says, with this install's helper command. */
export function isWiredAs(entry: McpServerEntry, recorded: RewriteRecord | undefined, plan: WiringPlan): boolean {
  if (!recorded) return false;
  if (plan.wiring === 'helper') return entry.httpHeadersHelper === plan.helperCommand(entry.name) && currentWiring(entry, recorded) === 'helper';
  return entry.bearerTokenEnvVar === recorded.varName && currentWiring(entry, recorded) === 'environment';
}
