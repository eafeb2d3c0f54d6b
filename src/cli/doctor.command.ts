// `codex-auth doctor`: its usage, flags and examples, and the call to its run function.
import { defineCommand, serversCommand } from './command-module.ts';

export const doctorCommand = defineCommand({
  command: 'doctor [names..]',
  describe: 'Run discovery without logging in and show every step',
  builder: (y) =>
    serversCommand(
      y,
      'For servers that will not log in: probe, discovery and the plan (resource, scopes, client), with every request and the server\'s answers. ' +
        'Nothing is stored and no client is registered.\n\nUsage: $0 doctor [<name>...] [options]',
      'Servers to check (default: every remote server)',
      [
        ['$0 doctor fastmail', 'See what fastmail publishes and what codex-auth would request'],
        ['$0 doctor --json', 'Every remote server, machine-readable'],
      ],
    ),
  run: async (ctx, args) => (await import('./doctor.ts')).runDoctor(ctx, { names: args.names ?? [], json: args.json }),
});
