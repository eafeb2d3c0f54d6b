// `codex-auth status`: its usage, flags and examples, and the call to its run function.
import { defineCommand, withGlobals } from './command-module.ts';

export const statusCommand = defineCommand({
  command: 'status',
  describe: 'Show each server: logged in, wired up, issuer, scopes, audience, expiry',
  builder: (y) =>
    withGlobals(
      y
        .usage('Show what codex-auth knows about each MCP server in config.toml. Never prints a token.\n\nUsage: $0 status [options]')
        .option('json', { type: 'boolean', default: false, describe: 'Print the status as JSON' }),
      ['json'],
      [
        ['$0 status', 'Who is logged in, and what to run next'],
        ['$0 status --json', 'Machine-readable status'],
      ],
    ),
  run: async (ctx, args) => (await import('./status.ts')).runStatus(ctx, { json: args.json }),
});
