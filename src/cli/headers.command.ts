// `codex-auth headers`: its usage, flags and examples, and the call to its run function.
import { defineCommand, withGlobals } from './command-module.ts';
import { createContext } from './context.ts';

export const headersCommand = defineCommand({
  command: 'headers <name>',
  describe: 'Print the Authorization header for a server, as Codex asks for it (config.toml runs this as http_headers_helper)',
  builder: (y) =>
    withGlobals(
      y
        .usage(
          'Print the HTTP headers Codex sends to a server, with a fresh token: config.toml runs this as the entry\'s http_headers_helper. ' +
            'It prints a token: keep the output to yourself.\n\nUsage: $0 headers <name> [options]',
        )
        .positional('name', { type: 'string', demandOption: true, describe: 'The server, as named in config.toml' })
        .option('state-dir', { type: 'string', requiresArg: true, describe: "codex-auth's state directory (Codex runs the helper without CODEX_AUTH_HOME)" }),
      ['state-dir'],
      [['$0 headers fastmail', 'What Codex gets for fastmail (prints a token: keep it to yourself)']],
    ),
  run: async (ctx, args, { program }) => {
    const context = args['state-dir'] ? createContext(args, program, process, { ...process.env, CODEX_AUTH_HOME: args['state-dir'] }) : ctx;
    return (await import('./headers.ts')).runHeaders(context, { name: args.name });
  },
});
