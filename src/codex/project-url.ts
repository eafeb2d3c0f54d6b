// A trusted project's `.codex/config.toml` can give an entry another url than the one codex-auth
// logged in to (a teammate's commit, a hostile pull request). Inside that project Codex uses the
// project's url, so the token must not go out there: the header helper refuses, and `run` starts
// Codex without the token. Kept apart from layers.ts so the helper's hot path loads no TOML parser.
import { dirname } from 'node:path';
import { CodexAuthError, type Step } from '../errors.ts';
import { shellCommand } from '../shell.ts';

/** True when `source` (where the entry's url comes from) is a project's file rather than the user's config.toml. */
export function isProjectSource(source: string | undefined, userConfig: string): source is string {
  return source !== undefined && source !== userConfig;
}

export function projectUrlRefusal(name: string, url: string, source: string, loggedInFor: string, step: Step): CodexAuthError {
  const project = dirname(dirname(source));
  return new CodexAuthError({
    kind: 'notLoggedIn', step, server: name,
    message: `${source} gives it the url ${url}, but codex-auth logged in to ${loggedInFor}; the token is not sent to another server`,
    hint: `check the url in ${source}; if ${url} is the server to use, run ${shellCommand(['codex-auth', 'login', name])} in ${project}`,
  });
}
