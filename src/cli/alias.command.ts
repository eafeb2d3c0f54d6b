// `codex-auth alias`: its usage, flags and examples, and the call to its run function.
import { defineCommand, withGlobals } from './command-module.ts';

export const aliasCommand = defineCommand({
  command: 'alias',
  describe: 'Print the shell alias that routes codex through codex-auth',
  builder: (y) =>
    withGlobals(
      y
        .usage('Print the alias that makes `codex` start through `codex-auth run`, and the file to put it in.\n\n' +
          'With a Codex that runs config.toml\'s header helper (codex-auth status says whether yours does), the alias is optional: the helper gives every session its token. The alias still adds step-up (more scopes on 403), a long-lived proxy for codex exec, codex mcp login done by codex-auth, and tokens for older Codex releases; it costs about 100 ms per launch.\n\nUsage: $0 alias [options]')
        .option('shell', { choices: ['bash', 'zsh', 'fish'] as const, requiresArg: true, describe: 'The shell to print it for (default: from $SHELL)' })
        .option('json', { type: 'boolean', default: false, describe: 'Print the shell, line and file as JSON' }),
      ['shell', 'json'],
      [
        ['$0 alias', 'The alias for your shell'],
        ['$0 alias --shell fish >> ~/.config/fish/config.fish', 'Add it to fish\'s config'],
      ],
    ),
  run: async (ctx, args) => (await import('./alias.ts')).runAlias(ctx, { json: args.json, ...(args.shell ? { shell: args.shell } : {}) }),
});
