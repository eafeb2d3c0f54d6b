// `codex-auth unpatch`: its usage, flags and examples, and the call to its run function.
import { defineCommand, serversCommand } from './command-module.ts';

export const unpatchCommand = defineCommand({
  command: 'unpatch [names..]',
  describe: 'Put config entries back exactly as they were (logins are kept)',
  builder: (y) =>
    serversCommand(
      y.option('remove-backup', { type: 'boolean', default: false, describe: 'Also delete config.toml.codex-auth.bak, the copy of config.toml from before codex-auth\'s first edit (it keeps any secrets your http_headers had then)' }),
      'Undo codex-auth\'s edits to config.toml, byte for byte, and keep the logins. `codex-auth login` wires the entries up again without a browser. ' +
        'The backup config.toml.codex-auth.bak (config.toml before codex-auth\'s first edit, secrets in old http_headers included) stays until you pass --remove-backup.\n\n' +
        'Usage: $0 unpatch [<name>...] [options]',
      'Servers whose entries to restore (default: all codex-auth changed)',
      [
        ['$0 unpatch', 'Restore every entry codex-auth changed'],
        ['$0 unpatch fastmail', 'Restore one entry'],
        ['$0 unpatch && $0 login', 'Undo, then wire the entries up again from the stored logins'],
        ['$0 unpatch --remove-backup', 'Restore every entry and delete the backup of the original config.toml'],
      ],
    ),
  run: async (ctx, args) => (await import('./unpatch.ts')).runUnpatch(ctx, { names: args.names ?? [], json: args.json, removeBackup: args['remove-backup'] }),
});
