// `codex-auth config [get|set|unset]`: usage, flags and examples, and the call to its run function.
import type { Argv } from 'yargs';
import type { CliContext } from './context.ts';
import { defineCommand, jsonOption, withGlobals, type Example } from './command-module.ts';

function configSubcommand<T>(y: Argv<T>, usage: string, examples: Example[]) {
  const named = y
    .usage(usage)
    .positional('name', { type: 'string', choices: ['proxy', 'refreshMarginMinutes'] as const, describe: 'The setting: proxy or refreshMarginMinutes' })
    .option('json', jsonOption);
  return withGlobals(named, ['json'], examples);
}

async function configAction(ctx: CliContext, args: { name?: string; value?: string; json: boolean }, action?: 'get' | 'set' | 'unset') {
  return (await import('./config.ts')).runConfig(ctx, {
    json: args.json,
    ...(action ? { action } : {}),
    ...(args.name ? { name: args.name } : {}),
    ...(args.value !== undefined ? { value: args.value } : {}),
  });
}

export const configCommand = defineCommand({
  command: 'config',
  describe: "Show or change codex-auth's own settings (settings.json)",
  builder: (y) =>
    withGlobals(
      y
        .usage(
          "Show or change codex-auth's own settings. Environment variables override them for one shell.\n\n" +
            'Settings:\n  proxy                 true | false: the session proxy of `run` (default true; $CODEX_AUTH_PROXY)\n' +
            '  refreshMarginMinutes  minutes: refresh a token handed over in the environment this soon before expiry (default 15; $CODEX_AUTH_REFRESH_MARGIN)\n\n' +
            'Usage: $0 config [get <name> | set <name> <value> | unset <name>] [options]',
        )
        .option('json', jsonOption),
      ['json'],
      [
        ['$0 config', 'Show the settings in effect'],
        ['$0 config get proxy', 'Print one setting'],
        ['$0 config set proxy false', 'Give Codex the token itself instead of the session proxy'],
        ['$0 config set refreshMarginMinutes 30', 'Refresh tokens that expire within 30 minutes before launching'],
        ['$0 config unset proxy', 'Back to the default'],
      ],
    ),
  run: (ctx, args) => configAction(ctx, args),
  subcommands: [
    defineCommand({
      command: 'get <name>',
      describe: 'Print one setting',
      builder: (y) => configSubcommand(y, 'Print the value of one setting in effect.\n\nUsage: $0 config get <name> [options]', [
        ['$0 config get proxy', 'Print whether run starts the session proxy (true or false)'],
        ['$0 config get refreshMarginMinutes --json', 'The value and, when a variable overrides the file, which one'],
      ]),
      run: (ctx, args) => configAction(ctx, args, 'get'),
    }),
    defineCommand({
      command: 'set <name> <value>',
      describe: 'Change a setting',
      builder: (y) =>
        configSubcommand(y, 'Change a setting in settings.json.\n\nUsage: $0 config set <name> <value> [options]', [
          ['$0 config set proxy false', 'Give Codex the token itself instead of the session proxy'],
          ['$0 config set refreshMarginMinutes 30', 'Refresh tokens that expire within 30 minutes before launching'],
        ]).positional('value', {
          type: 'string',
          describe: 'The new value: true or false for proxy, minutes for refreshMarginMinutes',
        }),
      run: (ctx, args) => configAction(ctx, args, 'set'),
    }),
    defineCommand({
      command: 'unset <name>',
      describe: 'Go back to the default',
      builder: (y) => configSubcommand(y, 'Remove a setting from settings.json, so its default applies.\n\nUsage: $0 config unset <name> [options]', [
        ['$0 config unset proxy', 'Back to the default (the session proxy on)'],
      ]),
      run: (ctx, args) => configAction(ctx, args, 'unset'),
    }),
  ],
});
