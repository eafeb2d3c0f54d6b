// `codex-auth unpatch [name...]`: put config entries back exactly as they were
// before codex-auth pointed them at its variables. Logins are kept.
import { existsSync } from 'node:fs';
import { unpatchEntries } from '../codex/apply.ts';
import { readCodexConfig } from '../codex/config.ts';
import { syncEnvFile } from '../codex/envfile.ts';
import { unknownServerError } from './batch.ts';
import type { CliContext } from './context.ts';

export function runUnpatch(ctx: CliContext, options: { names: string[]; json: boolean }): number {
  const patched = ctx.store.knownServers().filter((state) => state.rewrite).map((state) => state.serverName);
  const names = options.names.length > 0 ? options.names : patched;
  if (names.length === 0) {
    ctx.out.info('codex-auth has not changed any config entry: nothing to restore.');
    if (options.json) ctx.out.printJson({ restored: [] });
    return 0;
  }
  const config = existsSync(ctx.configPath) ? readCodexConfig(ctx.configPath) : undefined;
  const known = new Set([...ctx.store.knownServers().map((state) => state.serverName), ...(config?.servers.map((entry) => entry.name) ?? [])]);
  const unknown = names.find((name) => !known.has(name));
  // A typo must not read as "nothing to restore".
  if (unknown !== undefined) throw unknownServerError(unknown);
  const restored = unpatchEntries(ctx.configPath, names, ctx.store);
  syncEnvFile(ctx.store);
  for (const name of names) {
    ctx.out.success(restored.includes(name) ? `${name}: entry restored` : `${name}: nothing to restore`);
  }
  if (options.json) ctx.out.printJson({ restored });
  return 0;
}
