// The yargs command line: every command, --help and --version. A plain `run` skips this file
// (see run-command.ts). Each command parses its flags into an options object and calls a plain
// run function; command modules load lazily.
import yargs, { type Argv } from 'yargs';
import { CodexAuthError, ExitCode } from '../errors.ts';
import { createContext, type CliContext, type GlobalOptions } from './context.ts';
import { reportFailure } from './report.ts';
import { splitRunCommand, startRun } from './run-command.ts';

const EPILOGUE = `Exit codes:
  0 ok, 1 unexpected failure, 2 usage, 3 config, 4 discovery, 5 registration,
  6 authorization, 7 token, 8 network, 9 storage, 10 launch, 11 not logged in (run --strict),
  130 interrupted. \`run\` exits with the command's own code once it has started.

Environment: CODEX_HOME (Codex's config dir, default ~/.codex), CODEX_AUTH_HOME (codex-auth's
state), CODEX_AUTH_CODEX_BIN (the real codex), BROWSER, NO_COLOR.`;

type Handler<T> = (ctx: CliContext, args: T) => Promise<number> | number;

let exitCode: number = ExitCode.ok;

function withContext<T extends GlobalOptions>(handler: Handler<T>) {
  return async (args: T) => {
    const ctx = createContext(args);
    try {
      exitCode = await handler(ctx, args);
    } catch (error) {
      exitCode = reportFailure(ctx, error, Boolean(args.debug));
    }
  };
}

function parseCallbackPort(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`--callback-port must be a port number, got ${String(value)}`);
  return port;
}

function cli(argv: string[], runCommand: string[], selfPaths: string[]): Argv {
  return yargs(argv)
    .scriptName('codex-auth')
    .usage('$0 <command> [options]\n\nSpec-correct MCP OAuth for the Codex CLI: log in once, then start codex through codex-auth.')
    .option('config', { type: 'string', describe: 'Codex config file (default: $CODEX_HOME/config.toml)', global: true })
    .option('debug', { type: 'boolean', describe: 'show the request trail (secrets redacted)', global: true })
    .option('color', { type: 'boolean', describe: 'colour output (respects NO_COLOR)', global: true })
    .command(
      'login [names..]',
      'log in to remote MCP servers (all that need it when no name is given)',
      (y) =>
        y
          .positional('names', { type: 'string', array: true, default: [] as string[] })
          .option('scopes', { type: 'string', describe: 'scopes to request, comma or space separated' })
          .option('resource', { type: 'string', describe: 'RFC 8707 resource to request (overrides discovery)' })
          .option('client-id', { type: 'string', describe: 'a pre-registered client id' })
          .option('client-secret-env', { type: 'string', describe: 'name of the environment variable holding the client secret' })
          .option('client-metadata-url', { type: 'string', describe: 'Client ID Metadata Document URL, used when the server supports it' })
          .option('client-name', { type: 'string', describe: 'client_name to register under, for servers that accept only known clients (remembered per server)' })
          .option('callback-port', { type: 'number', describe: 'fixed loopback port for the redirect' })
          .option('browser', { type: 'boolean', default: true, describe: 'open a browser (--no-browser prints the URL and accepts the pasted redirect)' })
          .option('device', { type: 'boolean', default: false, describe: 'use the device authorization grant (RFC 8628) on a headless machine' })
          .option('force', { type: 'boolean', default: false, describe: 'log in again, and manage entries that set their own bearer_token_env_var' })
          .option('json', { type: 'boolean', default: false, describe: 'print the results as JSON' })
          .example('$0 login fastmail', 'log in to the server named fastmail in config.toml')
          .example('$0 login fastmail --scopes "https://www.fastmail.com/dev/mcp offline_access"', 'ask for specific scopes')
          .example('$0 login work --client-id abc --client-secret-env WORK_SECRET --callback-port 8765', 'use a pre-registered client')
          .example('$0 login --no-browser', 'on a remote machine: open the URL elsewhere, paste the final address back'),
      withContext(async (ctx, args) => {
        const { runLogin, splitScopes } = await import('./login.ts');
        const scopes = splitScopes(args.scopes);
        const callbackPort = parseCallbackPort(args['callback-port']);
        return runLogin(ctx, {
          names: args.names ?? [],
          browser: args.browser,
          force: args.force,
          device: args.device,
          json: args.json,
          ...(scopes ? { scopes } : {}),
          ...(args.resource ? { resource: args.resource } : {}),
          ...(args['client-id'] ? { clientId: args['client-id'] } : {}),
          ...(args['client-secret-env'] ? { clientSecretEnv: args['client-secret-env'] } : {}),
          ...(args['client-metadata-url'] ? { clientMetadataUrl: args['client-metadata-url'] } : {}),
          ...(args['client-name'] ? { clientName: args['client-name'] } : {}),
          ...(callbackPort ? { callbackPort } : {}),
        });
      }),
    )
    .command(
      'run [command..]',
      'refresh tokens, then run a command (default: codex) with them',
      (y) =>
        y
          .positional('command', { type: 'string', array: true, describe: 'the command and its arguments (default: codex)' })
          .option('strict', { type: 'boolean', default: false, describe: 'fail instead of launching when a server needs a login' })
          .option('refresh-margin', { type: 'number', describe: 'refresh tokens that expire within this many minutes (default 15; setting refreshMarginMinutes, $CODEX_AUTH_REFRESH_MARGIN)' })
          .option('proxy', { type: 'boolean', describe: 'keep tokens fresh all session through a loopback proxy (default on; --no-proxy, setting proxy, $CODEX_AUTH_PROXY=0)' })
          .option('login', { type: 'boolean', default: true, describe: 'log in interactively when a server needs it and a browser is available' })
          .example('$0 run', 'start codex with fresh tokens')
          .example('$0 run -- codex exec "summarise my inbox"', 'pass arguments to codex')
          .example("alias codex='codex-auth run -- codex'", 'make every codex launch go through codex-auth'),
      withContext((ctx, args) => {
        const margin = args['refresh-margin'];
        return startRun(ctx, {
          command: runCommand,
          strict: args.strict,
          login: args.login,
          ...(margin === undefined ? {} : { refreshMarginMinutes: margin }),
          ...(args.proxy === undefined ? {} : { proxy: args.proxy }),
        }, selfPaths);
      }),
    )
    .command(
      'status',
      'show each server: logged in, issuer, scopes, audience, expiry, env var',
      (y) => y.option('json', { type: 'boolean', default: false }).example('$0 status --json', 'machine-readable status'),
      withContext(async (ctx, args) => (await import('./status.ts')).runStatus(ctx, { json: args.json })),
    )
    .command(
      'logout [names..]',
      'revoke and forget tokens, and undo the config rewrite',
      (y) => y.positional('names', { type: 'string', array: true, default: [] as string[] }).option('json', { type: 'boolean', default: false }).example('$0 logout fastmail', 'log out of one server'),
      withContext(async (ctx, args) => (await import('./logout.ts')).runLogout(ctx, { names: args.names ?? [], json: args.json })),
    )
    .command(
      'unpatch [names..]',
      'put config entries back exactly as they were (logins are kept)',
      (y) => y.positional('names', { type: 'string', array: true, default: [] as string[] }).option('json', { type: 'boolean', default: false }),
      withContext(async (ctx, args) => (await import('./unpatch.ts')).runUnpatch(ctx, { names: args.names ?? [], json: args.json })),
    )
    .command(
      'alias',
      'print the shell alias that routes codex through codex-auth',
      (y) => y.option('shell', { choices: ['bash', 'zsh', 'fish'] as const }).option('json', { type: 'boolean', default: false }),
      withContext(async (ctx, args) => (await import('./alias.ts')).runAlias(ctx, { json: args.json, ...(args.shell ? { shell: args.shell } : {}) })),
    )
    .command(
      'doctor [name]',
      'run discovery without logging in and show every step (for servers that will not log in)',
      (y) => y.positional('name', { type: 'string' }).option('json', { type: 'boolean', default: false }).example('$0 doctor fastmail', 'see what fastmail publishes and what codex-auth would request'),
      withContext(async (ctx, args) => (await import('./doctor.ts')).runDoctor(ctx, { json: args.json, ...(args.name ? { name: args.name } : {}) })),
    )
    .command(
      'config [action] [name] [value]',
      "show or change codex-auth's own settings (settings.json)",
      (y) =>
        y
          .positional('action', { choices: ['set', 'unset'] as const })
          .positional('name', { type: 'string', describe: 'proxy | refreshMarginMinutes' })
          .positional('value', { type: 'string' })
          .option('json', { type: 'boolean', default: false })
          .example('$0 config', 'show the settings in effect')
          .example('$0 config set proxy false', 'give Codex the token itself instead of the session proxy')
          .example('$0 config set refreshMarginMinutes 30', 'refresh tokens that expire within 30 minutes before launching'),
      withContext(async (ctx, args) =>
        (await import('./config.ts')).runConfig(ctx, {
          json: args.json,
          ...(args.action ? { action: args.action } : {}),
          ...(args.name ? { name: args.name } : {}),
          ...(args.value !== undefined ? { value: args.value } : {}),
        }),
      ),
    )
    .demandCommand(1, 'Name a command: login, run, status, logout, unpatch, alias, doctor or config.')
    .strictCommands()
    .recommendCommands()
    .epilogue(EPILOGUE)
    .fail((message, error) => {
      if (error instanceof CodexAuthError) throw error;
      process.stderr.write(`error: ${message ?? error?.message}\n  next: codex-auth --help\n`);
      exitCode = ExitCode.usage;
    })
    .help()
    .alias('h', 'help')
    .version()
    .wrap(Math.min(100, process.stdout.columns ?? 100));
}

/** Parses `argv` with yargs, runs the command it names, and returns the exit code. */
export async function runCommandLine(argv: string[], selfPaths: string[]): Promise<number> {
  const { ours, command } = splitRunCommand(argv);
  exitCode = ExitCode.ok;
  await cli(ours, command, selfPaths).parseAsync();
  return exitCode;
}
