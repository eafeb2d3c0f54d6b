// `codex-auth run`: its usage, flags and examples, and the call to its run function.
import { definePlainCommand, lastOf, withGlobals } from './command-module.ts';

function parseMinutes(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+(\.\d+)?$/.test(String(value))) throw new Error(`--refresh-margin must be a number of minutes (0 or more), not "${String(value)}"`);
  return Number(value);
}

export const runCommand = definePlainCommand({
  command: 'run [command..]',
  describe: 'Run a command (default: codex) with every token in its reach',
  builder: (y) =>
    withGlobals(
      y
        .usage(
          'Start the command (default: the real codex) so that it reaches every logged-in server with a fresh token. ' +
            'Codex 0.152 and later run codex-auth\'s header helper themselves: the interactive codex starts exactly as typed. ' +
            '`codex exec`, and every session of an older Codex, get a loopback proxy that refreshes and steps up as needed. ' +
            'Tokens are refreshed only when due. Once the command starts, run exits with its code.\n\n' +
            'Usage: $0 run [options] [-- <command> [<args>...]]',
        )
        .positional('command', { type: 'string', array: true, describe: 'The command and its arguments, after -- (default: codex)' })
        .option('strict', { type: 'boolean', default: false, describe: 'Stop (exit 11, or 7/8) instead of launching when a server needs a login' })
        .option('refresh-margin', { type: 'string', requiresArg: true, coerce: lastOf(parseMinutes), describe: 'For a token handed over in the environment (--no-proxy, Codex before 0.152): refresh it when it expires within this many minutes or a quarter of its lifetime, whichever is less (default 15; setting refreshMarginMinutes, $CODEX_AUTH_REFRESH_MARGIN)' })
        .option('proxy', { type: 'boolean', describe: 'A loopback proxy in front of the servers for codex exec and Codex before 0.152 (default on; --no-proxy: the header helper, or the token in the environment for older Codex; setting proxy, $CODEX_AUTH_PROXY=0)' })
        .option('login', { type: 'boolean', default: true, describe: 'Log in interactively when a server needs it and a browser is available (--no-login: never)' }),
      ['strict', 'refresh-margin', 'proxy', 'login'],
      [
        ['$0 run', 'Start codex with every token wired'],
        ['$0 run -- codex exec "summarise my inbox"', 'Pass arguments to codex'],
        ['$0 run --strict -- codex exec "..."', 'In scripts: fail rather than start codex without a working login'],
        ["alias codex='codex-auth run -- codex'", 'Make every codex launch go through codex-auth (see codex-auth alias)'],
      ],
    ),
  handler: async (args, { actions, runCommand }) => {
    const margin = args['refresh-margin'];
    return actions.run({
      command: runCommand,
      strict: args.strict,
      login: args.login,
      ...(margin === undefined ? {} : { refreshMarginMinutes: margin }),
      ...(args.proxy === undefined ? {} : { proxy: args.proxy }),
      ...(args.config === undefined ? {} : { config: args.config }),
      ...(args.debug === undefined ? {} : { debug: args.debug }),
      ...(args.color === undefined ? {} : { color: args.color }),
    });
  },
});
