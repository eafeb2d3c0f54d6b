// What every command's yargs definition (src/cli/<command>.command.ts) is made of: its words,
// usage, flags and examples next to the handler that turns the parsed flags into a call to the
// command's plain run function. commands.ts only assembles them. yargs is imported for its types
// alone, and the command modules load only with commands.ts, never on the hot paths.
import { join } from 'node:path';
import type { ArgumentsCamelCase, Argv } from 'yargs';
import { shellWord } from '../shell.ts';
import { createContext, type CliContext, type GlobalOptions, type Program } from './context.ts';
import { reportFailure } from './report.ts';
import type { RunArgs } from './run-command.ts';
import { packageInfo } from './version.ts';

export const GLOBAL_OPTIONS = ['config', 'debug', 'color', 'help', 'version'];

const PACKAGE = packageInfo();

export const VERSION = PACKAGE?.version ?? 'unknown';

export const LEARN_MORE = `Learn more:
  Use \`codex-auth help <command>\` (or \`codex-auth <command> --help\`) for more about a command.
  Read the manual (set-up, exit codes, the files codex-auth changes):
    ${PACKAGE ? shellWord(join(PACKAGE.root, 'README.md')) : 'README.md'}`;

/** What the command line does once parsed; `run` is injectable so its parse can be checked against the fast path. */
export interface Actions {
  run(args: RunArgs): Promise<number>;
}

/** What a handler gets besides its flags: this program, the actions, and the words after `run --`. */
export interface Invocation {
  program: Program;
  actions: Actions;
  runCommand: string[];
}

interface CommandWords<T> {
  command: string;
  describe: string;
  builder: (y: Argv<GlobalOptions>) => Argv<T>;
  /** Commands under this one (`config get`), registered inside its builder. */
  subcommands?: CommandModule[];
}

/** A command that runs with a context; a failure it throws is reported and becomes its exit code. */
export interface ContextCommand<T> extends CommandWords<T> {
  run: (ctx: CliContext, args: ArgumentsCamelCase<T>, invocation: Invocation) => Promise<number> | number;
}

/** A command that takes its flags as they are (`run`, whose fast path makes its own context and reports). */
export interface PlainCommand<T> extends CommandWords<T> {
  handler: (args: ArgumentsCamelCase<T>, invocation: Invocation) => Promise<number>;
}

/** One command as yargs sees it: a yargs command module whose handler gives the exit code. */
export type CommandModule<T = any> = ContextCommand<T> | PlainCommand<T>;

/** A command with a context; the types of `run`'s flags come from the builder. */
export function defineCommand<T>(module: ContextCommand<T>): ContextCommand<T> {
  return module;
}

/** A command that gets its flags alone. */
export function definePlainCommand<T>(module: PlainCommand<T>): PlainCommand<T> {
  return module;
}

/** The yargs handler of a command: its exit code, a failure reported as the context's output says. */
export async function handle(module: CommandModule, args: ArgumentsCamelCase<GlobalOptions>, invocation: Invocation): Promise<number> {
  if ('handler' in module) return module.handler(args, invocation);
  const ctx = createContext(args, invocation.program);
  try {
    return await module.run(ctx, args, invocation);
  } catch (error) {
    return reportFailure(ctx, error, Boolean(args.debug));
  }
}

export type Example = [command: string, what: string];

// An example line longer than this would be wrapped by the help's layout in a terminal of 80
// columns, and a command broken across lines that way no longer pastes.
const EXAMPLE_WIDTH = 76;

/** A long command over several lines ending in ` \`, broken between words (never inside quotes), so it pastes whole. */
function pasteableLines(command: string): string {
  // An option stays on the line of its value.
  const words = (command.match(/(?:"[^"]*"|'[^']*'|\S)+/g) ?? []).reduce<string[]>((units, word) => {
    const last = units.at(-1);
    if (last !== undefined && /^--[\w-]+$/.test(last) && !word.startsWith('-')) units[units.length - 1] = `${last} ${word}`;
    else units.push(word);
    return units;
  }, []);
  const lines: string[] = [];
  let line = '  $';
  for (const word of words) {
    if (line.length + 1 + word.length > EXAMPLE_WIDTH - 2 && !/^ *\$?$/.test(line)) {
      lines.push(`${line} \\`);
      line = '     ';
    }
    line += ` ${word}`;
  }
  return [...lines, line].join('\n');
}

/** gh's layout: a comment line, then the command to paste. */
export function examplesText(examples: Example[]): string {
  return `Examples:\n${examples.map(([command, what]) => `  # ${what}\n${pasteableLines(command.replaceAll('$0', 'codex-auth'))}`).join('\n\n')}\n\n`;
}

/** The command's own options apart from the global ones, then examples and where to learn more. */
export function withGlobals<T>(y: Argv<T>, own: string[], examples: Example[] = []): Argv<T> {
  return y
    .group(own, 'Options:')
    .group(GLOBAL_OPTIONS, 'Global options:')
    .epilogue(`${examples.length > 0 ? examplesText(examples) : ''}${LEARN_MORE}`);
}

export const NAMES = { type: 'string', array: true } as const;

/**
 * A single-value option given twice takes its last value, as in git and gh (and run's fast path);
 * yargs would pass an array. A coerced option gets the array first: `lastOf` checks every value given
 * and keeps the last; `takeLastValues` does the rest once yargs has validated each value.
 */
export function lastOf<T>(parse: (given: unknown) => T): (given: unknown) => T {
  return (given) => (Array.isArray(given) ? given.map(parse).at(-1)! : parse(given));
}

/** The yargs middleware for every other string or number option: the last value counts, under both spellings. */
export function takeLastValues(argv: Record<string, unknown>, parser: Argv): void {
  // getOptions is yargs' record of what was declared; its types leave the method out.
  const declared = (parser as unknown as { getOptions(): { string: string[]; number: string[]; array: string[] } }).getOptions();
  for (const key of [...declared.string, ...declared.number]) {
    const value = argv[key];
    if (declared.array.includes(key) || !Array.isArray(value)) continue;
    argv[key] = argv[key.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase())] = value.at(-1);
  }
}
export const jsonOption = { type: 'boolean', default: false, describe: 'Print the result as JSON' } as const;

/** A command over server names (all when none is given) with --json: logout, unpatch, doctor. */
export function serversCommand<T>(y: Argv<T>, usage: string, names: string, examples: Example[]) {
  return withGlobals(y.usage(usage).positional('names', { ...NAMES, describe: names }).option('json', jsonOption), ['json'], examples);
}
