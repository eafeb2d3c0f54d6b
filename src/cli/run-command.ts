// The front of `codex-auth run`: splitting the child's argv off, reading run's own options,
// and starting the run with the settings applied. `run` sits in front of every codex launch
// (the alias), and loading yargs alone costs more than the rest of the hot path, so the
// common forms are parsed here by hand; anything else (help, unknown options) goes to yargs
// (run.command.ts, assembled in commands.ts), which ends up in the same startRun.
import { CodexAuthError } from '../errors.ts';
import { DEFAULT_SETTINGS, loadSettings, settingsFromEnv, type Settings } from '../store/settings.ts';
import { createContext, type CliContext, type Program } from './context.ts';
import { reportFailure } from './report.ts';
import { runRun } from './run.ts';

export interface RunArgs {
  /** The command and its arguments, untouched; empty means codex. */
  command: string[];
  strict: boolean;
  /** Undefined: the setting (or its default) decides. */
  refreshMarginMinutes?: number;
  /** Undefined: the setting (or its default) decides. */
  proxy?: boolean;
  login: boolean;
  config?: string;
  debug?: boolean;
  color?: boolean;
}

// Options of `run` (and global ones) that take a value, so the value is not mistaken for the command.
const OPTIONS_WITH_VALUES = new Set(['--config', '--refresh-margin']);

/**
 * Splits `[globals] run [options] [--] command args...` so that everything from the command on
 * reaches the child untouched (`codex-auth run codex exec --model x` must not parse `--model`).
 */
export function splitRunCommand(argv: string[]): { ours: string[]; command: string[] } {
  let index = 0;
  let sawRun = false;
  for (; index < argv.length; index += 1) {
    const arg = argv[index]!;
    if (arg === '--') return sawRun ? { ours: argv.slice(0, index), command: argv.slice(index + 1) } : { ours: argv, command: [] };
    if (OPTIONS_WITH_VALUES.has(arg)) {
      index += 1;
      continue;
    }
    if (arg.startsWith('-')) continue;
    if (sawRun) return { ours: argv.slice(0, index), command: argv.slice(index) };
    if (arg !== 'run') return { ours: argv, command: [] };
    sawRun = true;
  }
  return { ours: argv, command: [] };
}

type Flag = 'strict' | 'proxy' | 'login' | 'debug' | 'color';
const FLAGS = new Set<string>(['strict', 'proxy', 'login', 'debug', 'color']);

/** `--name`, `--no-name`, `--name=true|false`, as yargs reads a boolean option. */
function booleanFlag(word: string): [Flag, boolean] | undefined {
  const match = /^--(no-)?([a-z]+)(?:=(true|false))?$/.exec(word);
  if (!match || !FLAGS.has(match[2]!) || (match[1] && match[3])) return undefined;
  return [match[2] as Flag, !match[1] && match[3] !== 'false'];
}

/** A non-negative number, written the way a person would (yargs takes the same). */
function minutes(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d+(\.\d+)?$/.test(text)) return undefined;
  return Number(text);
}

/**
 * `run`'s options in the forms people type; undefined for anything else (another command,
 * --help, --version, an option this does not know), which yargs then handles.
 */
export function parsePlainRun(argv: string[]): RunArgs | undefined {
  const { ours, command } = splitRunCommand(argv);
  const args: RunArgs = { command, strict: false, login: true };
  let sawRun = false;
  for (let index = 0; index < ours.length; index += 1) {
    const word = ours[index]!;
    const flag = booleanFlag(word);
    const value = OPTIONS_WITH_VALUES.has(word) ? ours[++index] : undefined;
    if (word === 'run' && !sawRun) sawRun = true;
    else if (flag && (sawRun || flag[0] === 'debug' || flag[0] === 'color')) args[flag[0]] = flag[1];
    else if (word === '--config' && value !== undefined && !value.startsWith('-')) args.config = value;
    else if (word === '--refresh-margin' && sawRun && minutes(value) !== undefined) args.refreshMarginMinutes = minutes(value);
    else return undefined;
  }
  return sawRun ? args : undefined;
}

/**
 * The settings for a launch. A damaged settings.json is like a damaged state file: warned about,
 * and the defaults used, so Codex still starts; a bad variable was typed just now and stops it.
 */
async function launchSettings(ctx: CliContext): Promise<Settings> {
  try {
    return await loadSettings(ctx.paths, ctx.env);
  } catch (error) {
    if (!(error instanceof CodexAuthError) || error.kind !== 'config') throw error;
    ctx.out.warn(`${error.message}; starting with the default settings. Fix: ${error.hint}`);
    return { ...DEFAULT_SETTINGS, ...settingsFromEnv(ctx.env) };
  }
}

/** Applies settings (settings.json, environment) under the flags and runs. */
export async function startRun(ctx: CliContext, args: RunArgs): Promise<number> {
  const settings = await launchSettings(ctx);
  const margin = args.refreshMarginMinutes ?? settings.refreshMarginMinutes;
  return runRun(ctx, {
    command: args.command,
    strict: args.strict,
    refreshMarginMs: margin * 60_000,
    interactiveLogin: args.login,
    proxy: args.proxy ?? settings.proxy,
  });
}

/** Runs with a context made from the global options; a failure is reported and becomes the exit code. */
export async function executeRun(args: RunArgs, program: Program): Promise<number> {
  const ctx = createContext(args, program);
  try {
    return await startRun(ctx, args);
  } catch (error) {
    return reportFailure(ctx, error, Boolean(args.debug));
  }
}
