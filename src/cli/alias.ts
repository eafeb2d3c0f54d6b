// `codex-auth alias [--shell bash|zsh|fish]`: the line that makes `codex` go
// through codex-auth, and the file to put it in.
import { basename } from 'node:path';
import { CODEX_RELEASES } from '../codex/versions.ts';
import type { CliContext } from './context.ts';

export type Shell = 'bash' | 'zsh' | 'fish';

export function detectShell(env: NodeJS.ProcessEnv): Shell {
  const name = basename(env.SHELL ?? '');
  return name === 'zsh' || name === 'fish' ? name : 'bash';
}

export function aliasLine(shell: Shell): { line: string; file: string } {
  if (shell === 'fish') return { line: "alias codex 'codex-auth run -- codex'", file: '~/.config/fish/config.fish' };
  return { line: "alias codex='codex-auth run -- codex'", file: shell === 'zsh' ? '~/.zshrc' : '~/.bashrc' };
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
  const { line, file } = aliasLine(shell);
  const requiredFrom = CODEX_RELEASES.headersHelper;
  if (options.json) {
    ctx.out.printJson({ shell, line, file, neededForTokensBefore: requiredFrom, adds: WHAT_THE_ALIAS_ADDS });
    return 0;
  }
  ctx.out.print(line);
  const { dim } = ctx.out.color;
  ctx.out.info(dim(`Add the line above to ${file}, then open a new terminal. codex-auth finds the real codex on PATH, so the alias cannot loop.`));
  ctx.out.info(dim(`With Codex ${requiredFrom} or later you do not need it for tokens: after codex-auth login, config.toml's http_headers_helper gives the TUI, codex exec, IDEs and the desktop app fresh tokens. The alias still adds:`));
  for (const addition of WHAT_THE_ALIAS_ADDS) ctx.out.info(dim(`  - ${addition}`));
  ctx.out.info(dim('Without those, leave it out: it adds about 100 ms to every codex launch.'));
  return 0;
}
