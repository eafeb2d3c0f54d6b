// `codex-auth unpatch [name...]`: put config entries back exactly as they were
// before codex-auth pointed them at its variables. Logins are kept.
import { existsSync, rmSync } from 'node:fs';
import { appendedTableNote, backupPathFor, unpatchEntries } from '../codex/apply.ts';
import { readCodexConfig } from '../codex/config.ts';
import { projectSources } from '../codex/layers.ts';
import { syncEnvFile } from '../codex/envfile.ts';
import { unknownServerError } from './batch.ts';
import type { CliContext } from './context.ts';

export interface UnpatchOptions {
  names: string[];
  json: boolean;
  /** Also delete config.toml.codex-auth.bak, the copy of config.toml from before codex-auth's first edit. */
  removeBackup: boolean;
}

/**
 * The backup keeps config.toml as it was before codex-auth's first edit, secrets in old
 * http_headers included, for as long as it exists: say so, and remove it when asked.
 */
function handleBackup(ctx: CliContext, remove: boolean): { path: string; removed: boolean } | undefined {
  const path = backupPathFor(ctx.configPath);
  if (!existsSync(path)) return undefined;
  if (remove) {
    rmSync(path, { force: true });
    ctx.out.success(`removed the backup ${path}`);
    return { path, removed: true };
  }
  ctx.out.info(`note: ${path} still holds config.toml as it was before codex-auth's first edit, secrets in its http_headers included; remove it with: codex-auth unpatch --remove-backup`);
  return { path, removed: false };
}

export function runUnpatch(ctx: CliContext, options: UnpatchOptions): number {
  const patched = ctx.store.knownServers().filter((state) => state.rewrite).map((state) => state.serverName);
  const names = options.names.length > 0 ? options.names : patched;
  if (names.length === 0) {
    ctx.out.info('codex-auth has not changed any config entry: nothing to restore.');
    const backup = handleBackup(ctx, options.removeBackup);
    if (options.json) ctx.out.printJson({ restored: [], ...(backup ? { backup } : {}) });
    return 0;
  }
  const config = existsSync(ctx.configPath) ? readCodexConfig(ctx.configPath) : undefined;
  const known = new Set([...ctx.store.knownServers().map((state) => state.serverName), ...(config?.servers.map((entry) => entry.name) ?? [])]);
  const unknown = names.find((name) => !known.has(name));
  // A typo must not read as "nothing to restore".
  if (unknown !== undefined) throw unknownServerError(unknown);
  // Where each entry comes from here, as status says it: the project's file, for a project's server.
  const sources = projectSources(config, process.cwd());
  const outcome = unpatchEntries(ctx.configPath, names, ctx.store);
  syncEnvFile(ctx.store, config);
  for (const name of names) {
    const changed = outcome.restored.includes(name) || outcome.removedTables.includes(name);
    ctx.out.success(`${name}: ${changed ? 'entry restored' : 'nothing to restore'}${appendedTableNote(outcome, name)}`);
    const source = sources.get(name);
    if (source) ctx.out.info(`  from: ${source}`);
  }
  const backup = handleBackup(ctx, options.removeBackup);
  if (options.json) {
    const { restored, removedTables, keptTables } = outcome;
    const tables = { ...(removedTables.length > 0 ? { removedTables } : {}), ...(keptTables.size > 0 ? { keptTables: Object.fromEntries(keptTables) } : {}) };
    ctx.out.printJson({ restored, ...tables, ...(sources.size > 0 ? { sources: Object.fromEntries(sources) } : {}), ...(backup ? { backup } : {}) });
  }
  return 0;
}
