// The yargs command line: every command, --help and --version. A plain `run` skips this file
// (see run-command.ts). Parsing is strict: an unknown option, command or argument, or a bad
// value, is a usage error (exit 2) and the command does not run. Each command's words, flags and
// examples live in its own module (<command>.command.ts), which parses them into an options
// object for a plain run function that loads lazily; this file assembles the modules and owns
// what they share: global options, help, exit codes, usage errors.
import yargs, { type Argv, type CommandModule as YargsCommandModule } from 'yargs';
import { ExitCode } from '../errors.ts';
import { aliasCommand } from './alias.command.ts';
import { examplesText, GLOBAL_OPTIONS, handle, lastOf, LEARN_MORE, takeLastValues, VERSION, type Actions, type CommandModule, type Invocation } from './command-module.ts';
import { configCommand } from './config.command.ts';
import type { GlobalOptions, Program } from './context.ts';
import { doctorCommand } from './doctor.command.ts';
import { headersCommand } from './headers.command.ts';
import { loginCommand } from './login.command.ts';
import { logoutCommand } from './logout.command.ts';
import { runCommand as runCommandModule } from './run.command.ts';
import { executeRun, splitRunCommand } from './run-command.ts';
import { statusCommand } from './status.command.ts';
import { unpatchCommand } from './unpatch.command.ts';

export type { Actions } from './command-module.ts';

/** The commands in the order --help lists them. */
const COMMAND_MODULES: CommandModule[] = [loginCommand, runCommandModule, headersCommand, statusCommand, logoutCommand, unpatchCommand, aliasCommand, doctorCommand, configCommand];

/** A command module as yargs takes it: its handler's exit code goes to `result`, its subcommands inside its builder. */
function register(module: CommandModule, invocation: Invocation, result: { code: number }): YargsCommandModule<GlobalOptions, unknown> {
  return {
    command: module.command,
    describe: module.describe,
    builder: (y) => (module.subcommands ?? []).reduce((built, sub) => built.command(register(sub, invocation, result)), module.builder(y)),
    handler: async (args) => {
      result.code = await handle(module, args, invocation);
    },
  };
}

const TOP_EPILOGUE = `Exit codes:
  0 ok, 1 unexpected failure, 2 usage, 3 config, 4 discovery, 5 registration,
  6 authorization, 7 token, 8 network, 9 storage, 10 launch, 11 not logged in (run --strict),
  12 a credential of a login with no person (key file, JWT source) unusable, 130 interrupted. \`run\` exits with the command's own code once it has started. With several
  servers, a command goes on past a failing one and exits with the first failure's code.

Environment:
  CODEX_HOME                 Codex's config directory (default ~/.codex)
  CODEX_AUTH_HOME            codex-auth's state (default ~/.config/codex-auth)
  CODEX_AUTH_CODEX_BIN       the real codex, when PATH finds a shim first
  CODEX_AUTH_PROXY           0 or 1: the session proxy of \`run\` (setting proxy)
  CODEX_AUTH_REFRESH_MARGIN  refresh margin in minutes for tokens in the environment (setting refreshMarginMinutes)
  BROWSER                    the browser to open for logins
  NO_COLOR                   no colour

${LEARN_MORE}`;

/** A usage error: reported with the command's usage, and the command does not run. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly usage: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

/** yargs' wording, turned into one line that names the bad word the way it was typed. */
function usageMessage(message: string, argv: string[], usage: string): string {
  const unknown = /^Unknown arguments?: (.*)$/.exec(message);
  if (unknown) {
    return unknown[1]!
      .split(', ')
      .map((word) => {
        const asOption = argv.find((arg) => arg === `--${word}` || arg === `-${word}` || arg.startsWith(`--${word}=`));
        return asOption ? `unknown option ${asOption.split('=')[0]}` : `unexpected argument "${word}"`;
      })
      .join('; ');
  }
  const invalid = /Argument: (\S+), Given: (.*), Choices: (.*)/.exec(message);
  if (invalid) {
    const [, name, given, choices] = invalid;
    const asOption = argv.some((arg) => arg === `--${name}` || arg.startsWith(`--${name}=`));
    return `invalid value ${given} for ${asOption ? `--${name}` : `<${name}>`} (choose from ${choices!.replaceAll('"', '')})`;
  }
  const suggestion = /^Did you mean (\S+)\?/.exec(message);
  if (suggestion) return `unknown command "${argv.find((arg) => !arg.startsWith('-'))}"; did you mean ${suggestion[1]}?`;
  const noValue = /^Not enough arguments following: (\S+)$/.exec(message);
  if (noValue) return `--${noValue[1]} needs a value`;
  const missing = /^Not enough non-option arguments: got (\d+)/.exec(message);
  if (missing) {
    // Name what is missing from the usage line: `config set proxy` lacks <value>.
    const required = /^Usage: \S+ (.*)$/m.exec(usage)?.[1]?.match(/<[^>]+>/g) ?? [];
    const absent = required.slice(Number(missing[1]));
    return absent.length > 0 ? `missing argument ${absent.join(' ')} (see the usage below)` : 'missing argument (see the usage below)';
  }
  return message.split('\n')[0]!.replace(/^[A-Z](?=[a-z])/, (letter) => letter.toLowerCase());
}

/**
 * yargs reads `--json=maybe` as false; a boolean option given any value but true or false is a
 * mistake. Which options are boolean comes from the named command's own module, so a new flag
 * needs no list kept here.
 */
function booleanValueProblem(argv: string[]): string | undefined {
  const valued = argv.map((word) => /^--(?:no-)?([a-z-]+)=(.*)$/.exec(word)).filter((match) => match !== null);
  if (valued.length === 0) return undefined;
  const booleans = booleanOptions(argv);
  for (const match of valued) {
    const [word, name, value] = [match[0], match[1]!, match[2]!];
    if (booleans.includes(name) && (word.startsWith('--no-') || !/^(true|false)$/.test(value))) {
      return `${word.split('=')[0]} takes no value (got "${value}"); use --${name} or --no-${name}`;
    }
  }
  return undefined;
}

/** The boolean options of the command argv names (and the global ones), read from a parser its module built. */
function booleanOptions(argv: string[]): string[] {
  const word = argv.find((arg, index) => !arg.startsWith('-') && argv[index - 1] !== '--config');
  const module = COMMAND_MODULES.find((candidate) => candidate.command.split(' ')[0] === word);
  const globals = yargs([]).option('debug', { type: 'boolean' }).option('color', { type: 'boolean' });
  const parser = module ? module.builder(globals) : globals;
  // getOptions is yargs' record of what was declared; its types leave the method out.
  return (parser as unknown as { getOptions(): { boolean: string[] } }).getOptions().boolean;
}

function cli(argv: string[], runCommand: string[], program: Program, actions: Actions, result: { code: number }): Argv {
  const invocation: Invocation = { program, actions, runCommand };
  // yargs reuses this one parser for the command it runs, so its declared options are the command's.
  const parser: Argv = yargs(argv);
  return parser
    .middleware((args) => takeLastValues(args, parser))
    .scriptName('codex-auth')
    .usage('Spec-correct MCP OAuth for the Codex CLI: log in once, then start codex through codex-auth.\n\nUsage: $0 <command> [options]')
    .option('config', { type: 'string', describe: 'Codex config file (default: $CODEX_HOME/config.toml)', global: true, requiresArg: true, coerce: lastOf((given) => given as string | undefined) })
    .option('debug', { type: 'boolean', describe: 'Show the request trail and server answers (secrets redacted)', global: true })
    .option('color', { type: 'boolean', describe: 'Force colour on (--color) or off (--no-color); default: on for a terminal, off with NO_COLOR', global: true })
    .command(COMMAND_MODULES.map((module) => register(module, invocation, result)))
    .command('help [command]', 'Show help for a command (same as codex-auth <command> --help)')
    .group(GLOBAL_OPTIONS, 'Global options:')
    .check(() => {
      const problem = booleanValueProblem(argv);
      if (problem) throw new Error(problem);
      return true;
    }, true)
    .strict()
    .recommendCommands()
    .epilogue(
      examplesText([
        ['$0 login', 'Log in to every remote MCP server in config.toml'],
        ['$0 alias', 'Print the alias that starts codex through codex-auth'],
        ['$0 status', 'See who is logged in'],
      ]) + TOP_EPILOGUE,
    )
    .fail((message, error, instance) => {
      let usage = '';
      instance.showHelp((text) => {
        usage = text;
      });
      // A boolean given a value also trips the unknown-option check; the value is the real mistake.
      throw new UsageError(booleanValueProblem(argv) ?? usageMessage(message ?? error?.message ?? 'invalid command line', argv, usage), usage);
    })
    .help()
    .alias('h', 'help')
    .version(VERSION)
    .exitProcess(false)
    .wrap(Math.min(100, process.stdout.columns ?? 100));
}

const COMMANDS = COMMAND_MODULES.map((module) => module.command.split(' ')[0]!);

/** `codex-auth` alone and `codex-auth [globals] help [command...]` show help, as gh does. */
function helpRequest(argv: string[]): string[] {
  if (argv.length === 0) return ['--help'];
  const at = argv.findIndex((word, index) => !word.startsWith('-') && argv[index - 1] !== '--config');
  if (at === -1 || argv[at] !== 'help') return argv;
  const [command, ...rest] = argv.slice(at + 1);
  if (command === undefined) return [...argv.slice(0, at), '--help'];
  if (!COMMANDS.includes(command)) throw new UsageError(`unknown command "${command}"; commands: ${COMMANDS.join(', ')}`, '');
  return [...argv.slice(0, at), command, ...rest, '--help'];
}

/** Whether the command line gives --json to a command that takes it (whatever else is wrong with it). */
function asksForJson(argv: string[]): boolean {
  const { ours } = splitRunCommand(argv);
  return ours.some((word) => word === '--json' || word === '--json=true') && booleanOptions(ours).includes('json');
}

/** Parses `argv` and runs the command it names; throws UsageError, before anything runs, for a bad command line. */
export async function parseAndRun(argv: string[], program: Program, actions: Actions): Promise<number> {
  const words = helpRequest(argv);
  const { ours, command } = splitRunCommand(words);
  const result = { code: ExitCode.ok as number };
  await cli(ours, command, program, actions, result).parseAsync();
  return result.code;
}

/** The command line as the person typed it: usage errors print one `error:` line and the usage (exit 2). */
export async function runCommandLine(argv: string[], program: Program): Promise<number> {
  // `codex-auth status | head` closes the pipe early: that is the reader's choice, not a failure.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
  try {
    return await parseAndRun(argv, program, { run: (args) => executeRun(args, program) });
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    // A script that asked for --json gets its document even for a command line that did not parse.
    if (asksForJson(argv)) process.stdout.write(`${JSON.stringify({ ok: false, error: { step: 'arguments', message: error.message, hint: 'codex-auth --help', exitCode: ExitCode.usage } }, null, 2)}\n`);
    process.stderr.write(`error: ${error.message}\n${error.usage ? `\n${error.usage}\n` : '  next: codex-auth --help\n'}`);
    return ExitCode.usage;
  }
}
