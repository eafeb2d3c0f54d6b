// What a `codex` command line asks for, as far as MCP tokens go: a session that talks to MCP
// servers (in this process, or in Codex's shared background server), `codex mcp login|logout`
// (which codex-auth answers itself), or anything else, which is passed through untouched.
import { parseTomlValues } from './config.ts';

export type CodexInvocation =
  /** The TUI, `resume`, `fork`: on newer Codex they run in (or attach to) the background server. */
  | { kind: 'interactive' }
  /** `exec`, `review`, `mcp-server`: MCP runs in this process, so per-launch overrides are harmless. */
  | { kind: 'in-process' }
  | { kind: 'mcp-login'; server: string; scopes?: string[]; resource?: string; browser: boolean; ignored: string[] }
  | { kind: 'mcp-logout'; server: string; ignored: string[] }
  | { kind: 'other' };

/** Codex's global options that take a value (0.130 to 0.171), so the value is not read as a subcommand. */
const GLOBAL_OPTIONS_WITH_VALUES = new Set([
  '-c', '--config', '--enable', '--disable', '--remote', '--remote-auth-token-env', '-i', '--image', '-m', '--model',
  '--local-provider', '-p', '--profile', '-s', '--sandbox', '-C', '--cd', '--add-dir', '-a', '--ask-for-approval',
]);

const INTERACTIVE = new Set(['resume', 'fork', 'agents']);
const IN_PROCESS = new Set(['exec', 'e', 'review', 'mcp-server']);
/** Every subcommand of the releases codex-auth knows; a first word that is none of them is the TUI's prompt. */
const SUBCOMMANDS = new Set([
  ...INTERACTIVE, ...IN_PROCESS, 'login', 'logout', 'mcp', 'plugin', 'app-server', 'remote-control', 'completion', 'update',
  'doctor', 'sandbox', 'debug', 'apply', 'a', 'queue', 'archive', 'delete', 'migrate-rollouts', 'migrate-nfs-db', 'unarchive',
  'cloud', 'exec-server', 'features', 'help',
]);

/**
 * Splits options (with their values) from positional words, the way Codex's parser does: an
 * option in `withValues` takes the next word (`-c x=1`); `--name=value` and `-cx=1` hold their own.
 */
function positionals(args: string[], withValues: Set<string>): { words: Array<{ word: string; index: number; afterDashes?: true }>; options: string[] } {
  const words: Array<{ word: string; index: number; afterDashes?: true }> = [];
  const options: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') {
      words.push(...args.slice(i + 1).map((word, offset) => ({ word, index: i + 1 + offset, afterDashes: true as const })));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      words.push({ word: arg, index: i });
      continue;
    }
    options.push(arg);
    if (withValues.has(arg) && i + 1 < args.length) options.push(args[++i]!);
  }
  return { words, options };
}

export function classifyCodexArgs(args: string[]): CodexInvocation {
  const { words, options } = positionals(args, GLOBAL_OPTIONS_WITH_VALUES);
  if (options.some((option) => /^(-h|--help|-V|--version)$/.test(option))) return { kind: 'other' };
  const first = words[0];
  // After `--` every word is the prompt, never a subcommand.
  if (!first || first.afterDashes || !SUBCOMMANDS.has(first.word)) return { kind: 'interactive' };
  const subcommand = first.word;
  if (INTERACTIVE.has(subcommand)) return { kind: 'interactive' };
  // `exec --remote` attaches to a running app server instead of running in this process.
  if (IN_PROCESS.has(subcommand)) return args.includes('--remote') ? { kind: 'interactive' } : { kind: 'in-process' };
  if (subcommand === 'mcp') return classifyMcp(args.slice(first.index + 1), positionals(args.slice(0, first.index), GLOBAL_OPTIONS_WITH_VALUES).options);
  return { kind: 'other' };
}

const MCP_LOGIN_OPTIONS_WITH_VALUES = new Set(['-c', '--config', '--enable', '--disable', '--scopes', '--oauth-client-registration']);

/**
 * `codex mcp login <name> [--scopes a,b] [--no-browser]` and `codex mcp logout <name>`; help goes to
 * Codex. The entry's `scopes` and `oauth_resource` given with `-c` (before `mcp` or after `login`)
 * are honoured as Codex would read them.
 */
function classifyMcp(args: string[], globalOptions: string[]): CodexInvocation {
  const { words, options: ownOptions } = positionals(args, MCP_LOGIN_OPTIONS_WITH_VALUES);
  // Codex's global options before `mcp` concern the login only when they are the entry's -c.
  const options = [...globalOptions, ...ownOptions];
  const ownFrom = globalOptions.length;
  const [action, server, ...extra] = words.map(({ word }) => word);
  if ((action !== 'login' && action !== 'logout') || server === undefined || extra.length > 0) return { kind: 'other' };
  if (options.some((option) => option === '-h' || option === '--help')) return { kind: 'other' };
  const ignored: string[] = [];
  let scopes: string[] | undefined;
  let resource: string | undefined;
  let browser = true;
  for (let i = 0; i < options.length; i++) {
    const own = i >= ownFrom;
    const option = options[i]!;
    const [name, inline] = option.startsWith('--') && option.includes('=') ? [option.slice(0, option.indexOf('=')), option.slice(option.indexOf('=') + 1)] : [option, undefined];
    const value = inline ?? (MCP_LOGIN_OPTIONS_WITH_VALUES.has(name) ? options[++i] : undefined);
    const override = action === 'login' && (name === '-c' || name === '--config') && value !== undefined ? entryOverride(value, server) : undefined;
    if (action === 'login' && name === '--scopes' && value !== undefined) scopes = value.split(',').map((scope) => scope.trim()).filter(Boolean);
    else if (action === 'login' && name === '--no-browser') browser = false;
    else if (override?.key === 'scopes' && Array.isArray(override.value) && override.value.every((scope) => typeof scope === 'string')) scopes = override.value;
    else if (override?.key === 'oauth_resource' && typeof override.value === 'string') resource = override.value;
    else if (own || override) ignored.push(value === undefined ? name : `${name} ${value}`);
  }
  if (action === 'logout') return { kind: 'mcp-logout', server, ignored };
  return { kind: 'mcp-login', server, browser, ignored, ...(scopes && scopes.length > 0 ? { scopes } : {}), ...(resource ? { resource } : {}) };
}

/**
 * `mcp_servers.<server>.<key>=<value>` from a `-c`, the value read as TOML the way Codex reads it
 * (a bare word is a string); undefined for an override of anything else.
 */
function entryOverride(text: string, server: string): { key: string; value: unknown } | undefined {
  const equals = text.indexOf('=');
  if (equals < 0) return undefined;
  const path = text.slice(0, equals).trim();
  const raw = text.slice(equals + 1).trim();
  const prefix = [`mcp_servers.${server}.`, `mcp_servers."${server}".`].find((candidate) => path.startsWith(candidate));
  if (prefix === undefined) return undefined;
  const key = path.slice(prefix.length);
  try {
    return { key, value: parseTomlValues(`value = ${raw}`).value };
  } catch {
    return { key, value: raw };
  }
}
