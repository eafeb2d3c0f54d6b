// `codex-auth logout`: its usage, flags and examples, and the call to its run function.
import { defineCommand, serversCommand } from './command-module.ts';

export const logoutCommand = defineCommand({
  command: 'logout [names..]',
  describe: 'Revoke and forget tokens, and undo the config rewrite',
  builder: (y) =>
    serversCommand(
      y,
      'Revoke the tokens at the server (when it offers revocation), forget them, and put the config entries back as they were. ' +
        'With no name, every server codex-auth has a login for. A damaged state file is removed.\n\nUsage: $0 logout [<name>...] [options]',
      'Servers to log out of (default: all)',
      [
        ['$0 logout fastmail', 'Log out of one server'],
        ['$0 logout', 'Log out of every server'],
      ],
    ),
  run: async (ctx, args) => (await import('./logout.ts')).runLogout(ctx, { names: args.names ?? [], json: args.json }),
});
