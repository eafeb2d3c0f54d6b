// Applies codex-auth's state to Codex's config: each logged-in entry is wired so that Codex gets
// its token, either by running `codex-auth headers <name>` (http_headers_helper) or by reading
// codex-auth's variable (bearer_token_env_var). One verified edit per entry, one write for all.
import type { RewriteRecord, StateStore, Wiring } from '../store/state.ts';
import { parseCodexConfig, readCodexConfig, type CodexConfig, type McpServerEntry } from './config.ts';
import type { LayeredEntry } from './layers.ts';
import { appendRemoteEntry, removeAppendedEntry, removeEntryKey, replaceEntryKey, setEntryString, tokenEnvVarName, tomlKey, writeConfigAtomically, type PatchResult } from './rewrite.ts';
import { BEARER_KEY, HELPER_KEY, isOurHelper, isOurVar, userSetting, type WiringPlan } from './wiring.ts';

export interface RewriteOutcome {
  serverName: string;
  varName?: string;
  wiring?: Wiring;
  status: 'rewritten' | 'unchanged' | 'kept-user-setting';
  /** The user's own setting that was left alone (kept-user-setting). */
  userSetting?: string;
}

export function backupPathFor(configPath: string): string {
  return `${configPath}.codex-auth.bak`;
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

export interface RewriteOptions {
  force: boolean;
  now: number;
  plan: WiringPlan;
  /** Entries only a project defines: each gets a table of its own in the user's config.toml, in the same write (withUserEntries says why). */
  addUserEntries?: LayeredEntry[];
}

/**
 * Wires each named entry as `plan` says, moving entries from the other wiring in place. Entries
 * with the user's own authentication are left alone unless `force` (an Authorization header
 * always is). Writes the file once, only if something changed.
 */
export function rewriteEntries(configPath: string, serverNames: string[], store: StateStore, options: RewriteOptions): RewriteOutcome[] {
  const config = readCodexConfig(configPath);
  const { text, outcomes, records } = planRewrite(config, serverNames, store, options);
  // One write for the appended tables and the wiring, so a table login added always has its record.
  // The records go to disk before config.toml: a process killed between the two writes must not
  // leave codex-auth's wiring in config.toml with no record of it, which unpatch and logout need to
  // take it out again. A record whose wiring never landed is harmless (nothing of ours to remove).
  const before = records.map(([name]) => [name, store.server(name).rewrite] as const);
  for (const [name, record] of records) store.saveRewrite(name, record);
  try {
    if (text !== config.text) writeConfigAtomically(configPath, config.text, text, { backupPath: backupPathFor(configPath) });
  } catch (error) {
    for (const [name, record] of before) {
      if (record) store.saveRewrite(name, record);
      else store.clearRewrite(name);
    }
    throw error;
  }
  return outcomes;
}

/** The edits rewriteEntries would make, made and verified in memory only: throws where it would. */
export function planRewrite(onDisk: CodexConfig, serverNames: string[], store: StateStore, options: RewriteOptions) {
  const { config, appended } = withUserEntries(onDisk, options.addUserEntries ?? []);
  let text = config.text;
  const outcomes: RewriteOutcome[] = [];
  const records: Array<[string, RewriteRecord]> = [];
  for (const name of serverNames) {
    const entry = config.servers.find((server) => server.name === name);
    if (!entry || entry.kind !== 'remote') continue;
    const recorded = store.server(name).rewrite;
    const own = userSetting(entry, recorded);
    if (own && (!options.force || !own.replaceable)) {
      outcomes.push({ serverName: name, status: 'kept-user-setting', userSetting: own.text });
      continue;
    }
    const varName = recorded?.varName ?? tokenEnvVarName(name, takenNames(config, store, name));
    const { wiring } = options.plan;
    const wanted = wiring === 'helper' ? { key: HELPER_KEY, value: options.plan.helperCommand(name) } : { key: BEARER_KEY, value: varName };
    const edit = wireEntry(text, entry, recorded, wanted, own?.key);
    text = edit.result.text;
    outcomes.push({ serverName: name, varName, wiring, status: edit.result.changed ? 'rewritten' : 'unchanged' });
    const replacedText = edit.replacedText ?? recorded?.replacedText;
    const appendedText = appended.get(name) ?? recorded?.appendedText;
    records.push([name, {
      configPath: config.path,
      wiring,
      varName,
      ...(wiring === 'helper' ? { helperCommand: wanted.value } : {}),
      ...(options.plan.decidedFor ? { decidedFor: options.plan.decidedFor } : {}),
      ...(replacedText !== undefined ? { replacedText } : recorded?.previousValue !== undefined ? { previousValue: recorded.previousValue } : {}),
      ...(appendedText !== undefined ? { appendedText } : {}),
      appliedAt: options.now,
    }]);
  }
  return { text, outcomes, records };
}

/** One verified edit that leaves the entry holding `wanted` and nothing else of codex-auth's. */
function wireEntry(
  text: string,
  entry: McpServerEntry,
  recorded: RewriteRecord | undefined,
  wanted: { key: string; value: string },
  forcedKey: string | undefined,
): { result: PatchResult; replacedText?: string } {
  const name = entry.name;
  if (forcedKey) {
    // The user's own line is replaced where it stands; unpatch puts those exact bytes back.
    const result = replaceEntryKey(text, name, forcedKey, wanted);
    return { result, ...(result.replacedText !== undefined ? { replacedText: result.replacedText } : {}) };
  }
  const otherKey = wanted.key === HELPER_KEY ? BEARER_KEY : HELPER_KEY;
  const oursElsewhere = otherKey === BEARER_KEY ? isOurVar(entry, recorded?.varName) : isOurHelper(entry, recorded?.helperCommand);
  if (!oursElsewhere) return { result: setEntryString(text, name, wanted.key, wanted.value) };
  if (recorded?.previousValue !== undefined && otherKey === BEARER_KEY) {
    // An older --force record keeps only the user's value: put their line back first, then replace it.
    const restored = removeEntryKey(text, name, BEARER_KEY, recorded.previousValue);
    const result = replaceEntryKey(restored.text, name, BEARER_KEY, wanted);
    return { result: { ...result, changed: true }, ...(result.replacedText !== undefined ? { replacedText: result.replacedText } : {}) };
  }
  return { result: replaceEntryKey(text, name, otherKey, wanted) };
}

export interface UnpatchOutcome {
  /** Entries whose wiring was taken out (or whose own line was put back). */
  restored: string[];
  /** Entries whose whole table, appended by login for a project's server, was taken out. */
  removedTables: string[];
  /** Appended tables left in place, and why. */
  keptTables: Map<string, string>;
}

/** What became of the table login appended for `name`, as a clause to add to a line about it ('' when there was none). */
export function appendedTableNote(outcome: UnpatchOutcome, name: string): string {
  const table = `[mcp_servers.${tomlKey(name)}]`;
  if (outcome.removedTables.includes(name)) return `; the ${table} table login added is removed, so Codex reads config.toml as before that login`;
  const kept = outcome.keptTables.get(name);
  if (kept === undefined) return '';
  return `; the ${table} table login added stays, because ${kept} (Codex keeps the server outside the project too; delete the table by hand if you do not want that)`;
}

/**
 * Puts entries back as they were before codex-auth touched them: a table login appended for a
 * project's server goes as a whole while it is exactly what was appended plus the wiring (Codex
 * reads the file as before the login), else only the wiring goes. One verified write for all.
 */
export function unpatchEntries(configPath: string, serverNames: string[], store: StateStore): UnpatchOutcome {
  const config = readCodexConfig(configPath);
  let text = config.text;
  const outcome: UnpatchOutcome = { restored: [], removedTables: [], keptTables: new Map() };
  for (const name of serverNames) {
    const recorded = store.server(name).rewrite;
    const entry = config.servers.find((server) => server.name === name);
    if (!recorded || !entry) continue;
    const ourKey = isOurHelper(entry, recorded.helperCommand) ? HELPER_KEY : isOurVar(entry, recorded.varName) ? BEARER_KEY : undefined;
    if (ourKey) {
      if (recorded.replacedText !== undefined) text = replaceEntryKey(text, name, ourKey, { text: recorded.replacedText }).text;
      else text = removeEntryKey(text, name, ourKey, ourKey === BEARER_KEY ? recorded.previousValue : undefined).text;
      outcome.restored.push(name);
    }
    if (recorded.appendedText === undefined) continue;
    const removed = removeAppendedEntry(text, name, recorded.appendedText);
    if ('text' in removed) {
      text = removed.text;
      outcome.removedTables.push(name);
    } else {
      outcome.keptTables.set(name, removed.kept);
    }
  }
  if (text !== config.text) {
    writeConfigAtomically(configPath, config.text, text, { backupPath: backupPathFor(configPath) });
  }
  for (const name of serverNames) {
    if (store.server(name).rewrite) store.clearRewrite(name);
  }
  return outcome;
}

/**
 * Gives entries that only a project's `.codex/config.toml` defines a complete entry in the user's
 * config.toml (their url), which login then wires as any other: inside the project Codex merges
 * the two key by key, and outside it the user's entry alone still has a transport, so Codex starts.
 * The project's file, usually committed, is not touched. In memory: rewriteEntries writes it.
 */
function withUserEntries(config: CodexConfig, entries: LayeredEntry[]): { config: CodexConfig; appended: Map<string, string> } {
  let text = config.text;
  const appended = new Map<string, string>();
  for (const entry of entries) {
    const added = appendRemoteEntry(text, entry.name, entry.url!, `added by codex-auth login: the url of ${entry.name} from ${entry.source}, so that Codex gets its token and starts outside that project`).text;
    appended.set(entry.name, added.slice(text.length));
    text = added;
  }
  return { config: text === config.text ? config : parseCodexConfig(config.path, text), appended };
}

/**
 * Points a table login appended for a project's server at the url the project gives it now,
 * while the table is still login's own (the text it appended, unedited): logging in again in the
 * project after its url changed, the new login is for the new url, and outside the project the
 * table must name that same server, or the helper refuses there. Otherwise says why not.
 */
export function followProjectUrl(configPath: string, name: string, url: string, store: StateStore): { kept?: string } {
  const recorded = store.server(name).rewrite;
  if (recorded?.appendedText === undefined) return { kept: 'codex-auth did not add that table' };
  const config = readCodexConfig(configPath);
  const once = (text: string, part: string) => text.split(part).length === 2;
  if (!once(config.text, recorded.appendedText)) return { kept: 'it was edited since login added it' };
  const appendedText = setEntryString(recorded.appendedText, name, 'url', url).text;
  const text = setEntryString(config.text, name, 'url', url).text;
  if (!once(text, appendedText)) return { kept: 'it was edited since login added it' };
  writeConfigAtomically(configPath, config.text, text, { backupPath: backupPathFor(configPath) });
  store.saveRewrite(name, { ...recorded, appendedText });
  return {};
}
