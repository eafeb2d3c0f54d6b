// `codex-auth alias [--shell bash|zsh|fish]`: the line that makes `codex` go
// through codex-auth, and the file to put it in.
import { realpathSync } from 'node:fs';
import { basename } from 'node:path';
import { findOnPath } from '../codex/launch.ts';
import { CODEX_RELEASES } from '../codex/versions.ts';
import { shellCommand, shellQuote } from '../shell.ts';
import type { CliContext, Program } from './context.ts';

export type Shell = 'bash' | 'zsh' | 'fish';

export function detectShell(env: NodeJS.ProcessEnv): Shell {
  const name = basename(env.SHELL ?? '');
  return name === 'zsh' || name === 'fish' ? name : 'bash';
}

/**
 * How the alias starts this codex-auth: `codex-auth` when that is what PATH finds, else this
 * program by its absolute paths (a clone run as `node bin/codex-auth.js`, without `npm link`): an
 * alias naming a command the shell cannot find would break every `codex`.
 */
export function selfCommand(program: Program, env: NodeJS.ProcessEnv): { words: string[]; onPath: boolean } {
  const found = findOnPath('codex-auth', env);
  let real: string | undefined;
  try {
    real = found === undefined ? undefined : realpathSync(found);
  } catch {
    real = undefined;
  }
  if (real !== undefined && program.selfPaths.includes(real)) return { words: ['codex-auth'], onPath: true };
  return { words: [program.node, program.script], onPath: false };
}

export function aliasLine(shell: Shell, self: string[] = ['codex-auth']): { line: string; file: string } {
  const command = shellQuote(shellCommand([...self, 'run', '--', 'codex']));
  if (shell === 'fish') return { line: `alias codex ${command}`, file: '~/.config/fish/config.fish' };
  return { line: `alias codex=${command}`, file: shell === 'zsh' ? '~/.zshrc' : '~/.bashrc' };
}

/**
 * With a Codex that runs the header helper, config.toml gives every session its token; the alias
 * is then optional, and costs every launch the time of a codex-auth start. What it still adds:
 */
export const WHAT_THE_ALIAS_ADDS = [
  'step-up: a server that asks for more scopes (403 insufficient_scope) gets a new login and the request is retried',
  'a long-lived session proxy in front of servers for codex exec, refreshing and retrying on 401',
  'codex mcp login <name> done by codex-auth (spec-correct OAuth) instead of Codex',
  `tokens for Codex releases before ${CODEX_RELEASES.headersHelper}, which cannot run the helper`,
];

export function runAlias(ctx: CliContext, options: { shell?: Shell; json: boolean }): number {
  const shell = options.shell ?? detectShell(ctx.env);
  const self = selfCommand(ctx.program, ctx.env);
  const { line, file } = aliasLine(shell, self.words);
  const requiredFrom = CODEX_RELEASES.headersHelper;
  if (options.json) {
    ctx.out.printJson({ shell, line, file, codexAuthOnPath: self.onPath, neededForTokensBefore: requiredFrom, adds: WHAT_THE_ALIAS_ADDS });
    return 0;
  }
  ctx.out.print(line);
  const { dim } = ctx.out.color;
  ctx.out.info(dim(`Add the line above to ${file}, then open a new terminal. codex-auth finds the real codex on PATH, so the alias cannot loop.`));
  if (!self.onPath) ctx.out.info(dim('codex-auth is not on your PATH (no npm link), so the line names this install by its full path; after npm link, run codex-auth alias again for the short form.'));
  ctx.out.info(dim(`With Codex ${requiredFrom} or later you do not need it for tokens: after codex-auth login, config.toml's http_headers_helper gives the TUI, codex exec, IDEs and the desktop app fresh tokens. The alias still adds:`));
  for (const addition of WHAT_THE_ALIAS_ADDS) ctx.out.info(dim(`  - ${addition}`));
  ctx.out.info(dim('Without those, leave it out: it adds about 100 ms to every codex launch.'));
  return 0;
}
