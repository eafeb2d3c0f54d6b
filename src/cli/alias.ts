// `codex-auth alias [--shell bash|zsh|fish]`: the line that makes `codex` go
// through codex-auth, and the file to put it in.
import { basename } from 'node:path';
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

export function runAlias(ctx: CliContext, options: { shell?: Shell; json: boolean }): number {
  const shell = options.shell ?? detectShell(ctx.env);
  const { line, file } = aliasLine(shell);
  if (options.json) {
    ctx.out.printJson({ shell, line, file });
    return 0;
  }
  ctx.out.print(line);
  ctx.out.info(ctx.out.color.dim(`Add the line above to ${file}, then open a new terminal. codex-auth finds the real codex on PATH, so the alias cannot loop.`));
  return 0;
}
