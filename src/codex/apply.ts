// Applies codex-auth's state to Codex's world: entries pointed at our env vars
// (verified rewrite, one write for all servers) and the env file of tokens.
import type { RewriteRecord, StateStore } from '../store/state.ts';
import { readCodexConfig, type CodexConfig, type McpServerEntry } from './config.ts';
import { removeBearerEnvVar, setBearerEnvVar, tokenEnvVarName, writeConfigAtomically } from './rewrite.ts';

export interface RewriteOutcome {
  serverName: string;
  varName?: string;
  status: 'rewritten' | 'unchanged' | 'kept-user-setting';
  userVar?: string;
}

const OUR_VAR = /^CODEX_AUTH_[A-Z0-9_]+_TOKEN$/;

export function backupPathFor(configPath: string): string {
  return `${configPath}.codex-auth.bak`;
}

/** True when the entry's bearer_token_env_var is one codex-auth put there. */
export function isOurVar(entry: McpServerEntry, recordedVar: string | undefined): boolean {
  const current = entry.bearerTokenEnvVar;
  return current !== undefined && (current === recordedVar || OUR_VAR.test(current));
}

/** True when Codex will get codex-auth's token for the entry: the rewrite is recorded and still in config.toml. */
export function isEntryWired(entry: McpServerEntry, recorded: RewriteRecord | undefined): boolean {
  return recorded !== undefined && entry.bearerTokenEnvVar === recorded.varName;
}

function takenNames(config: CodexConfig, store: StateStore, except: string): Set<string> {
  const taken = new Set<string>();
  for (const entry of config.servers) {
    if (entry.name !== except && entry.bearerTokenEnvVar) taken.add(entry.bearerTokenEnvVar);
  }
  for (const state of store.knownServers()) {
    if (state.serverName !== except && state.rewrite) taken.add(state.rewrite.varName);
  }
  return taken;
}

/**
 * Points each named entry at its codex-auth variable. Entries where the user set their own
 * variable are left alone unless `force`. Writes the file once, only if something changed.
 */
export function rewriteEntries(
  configPath: string,
  serverNames: string[],
  store: StateStore,
  options: { force: boolean; now: number },
): RewriteOutcome[] {
  const config = readCodexConfig(configPath);
  let text = config.text;
  const outcomes: RewriteOutcome[] = [];
  const records: Array<{ name: string; varName: string; previousValue?: string }> = [];
  for (const name of serverNames) {
    const entry = config.servers.find((server) => server.name === name);
    if (!entry || entry.kind !== 'remote') continue;
    const recorded = store.server(name).rewrite;
    const userVar = entry.bearerTokenEnvVar && !isOurVar(entry, recorded?.varName) ? entry.bearerTokenEnvVar : undefined;
    if (userVar && !options.force) {
      outcomes.push({ serverName: name, status: 'kept-user-setting', userVar });
      continue;
    }
    const varName = recorded?.varName ?? tokenEnvVarName(name, takenNames(config, store, name));
    const result = setBearerEnvVar(text, name, varName);
    text = result.text;
    outcomes.push({ serverName: name, varName, status: result.changed ? 'rewritten' : 'unchanged' });
    const previousValue = recorded?.previousValue ?? userVar;
    records.push(previousValue === undefined ? { name, varName } : { name, varName, previousValue });
  }
  if (text !== config.text) {
    writeConfigAtomically(configPath, config.text, text, { backupPath: backupPathFor(configPath) });
  }
  for (const record of records) {
    const rewrite = { configPath, varName: record.varName, appliedAt: options.now };
    store.saveRewrite(record.name, record.previousValue === undefined ? rewrite : { ...rewrite, previousValue: record.previousValue });
  }
  return outcomes;
}

/** Puts entries back as they were before codex-auth touched them. */
export function unpatchEntries(configPath: string, serverNames: string[], store: StateStore): string[] {
  const config = readCodexConfig(configPath);
  let text = config.text;
  const restored: string[] = [];
  for (const name of serverNames) {
    const recorded = store.server(name).rewrite;
    const entry = config.servers.find((server) => server.name === name);
    if (!recorded) continue;
    if (entry && isOurVar(entry, recorded.varName)) {
      text = removeBearerEnvVar(text, name, recorded.previousValue).text;
      restored.push(name);
    }
  }
  if (text !== config.text) {
    writeConfigAtomically(configPath, config.text, text, { backupPath: backupPathFor(configPath) });
  }
  for (const name of serverNames) {
    if (store.server(name).rewrite) store.clearRewrite(name);
  }
  return restored;
}
