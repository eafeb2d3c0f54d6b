// The yargs command line: every command, --help and --version. A plain `run` skips this file
// (see run-command.ts). Parsing is strict: an unknown option, command or argument, or a bad
// value, is a usage error (exit 2) and the command does not run. Each command parses its flags
// into an options object and calls a plain run function; command modules load lazily.
import { join } from 'node:path';
import yargs, { type Argv } from 'yargs';
import { ExitCode } from '../errors.ts';
import { UNATTENDED_GRANTS, type UnattendedGrant } from '../oauth/unattended.ts';
import { createContext, type CliContext, type GlobalOptions, type Program } from './context.ts';
import { reportFailure } from './report.ts';
import { executeRun, splitRunCommand, type RunArgs } from './run-command.ts';
import { packageInfo } from './version.ts';

const GLOBAL_OPTIONS = ['config', 'debug', 'color', 'help', 'version'];

const PACKAGE = packageInfo();

const LEARN_MORE = `Learn more:
  Use \`codex-auth help <command>\` (or \`codex-auth <command> --help\`) for more about a command.
  Read the manual (set-up, exit codes, the files codex-auth changes): ${PACKAGE ? join(PACKAGE.root, 'README.md') : 'README.md'}`;

const TOP_EPILOGUE = `Exit codes:
  0 ok, 1 unexpected failure, 2 usage, 3 config, 4 discovery, 5 registration,
  6 authorization, 7 token, 8 network, 9 storage, 10 launch, 11 not logged in (run --strict),
  12 a credential of a login with no person (key file, secret) unusable, 130 interrupted. \`run\` exits with the command's own code once it has started. With several
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
function usageMessage(message: string, argv: string[]): string {
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
  if (/^Not enough non-option arguments/.test(message)) return 'missing argument (see the usage below)';
  return message.split('\n')[0]!.replace(/^[A-Z](?=[a-z])/, (letter) => letter.toLowerCase());
}

const BOOLEAN_OPTIONS = new Set(['browser', 'device', 'force', 'assertion-github-actions', 'json', 'strict', 'proxy', 'login', 'debug', 'color', 'help', 'version']);

/** yargs reads `--json=maybe` as false; a boolean option given any value but true or false is a mistake. */
function booleanValueProblem(argv: string[]): string | undefined {
  for (const word of argv) {
    const match = /^--(?:no-)?([a-z-]+)=(.*)$/.exec(word);
    if (match && BOOLEAN_OPTIONS.has(match[1]!) && (word.startsWith('--no-') || !/^(true|false)$/.test(match[2]!))) {
      return `${word.split('=')[0]} takes no value (got "${match[2]}"); use --${match[1]} or --no-${match[1]}`;
    }
  }
  return undefined;
}

function parsePort(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const port = Number(value);
  if (!/^\d+$/.test(String(value)) || port < 1 || port > 65535) throw new Error(`--callback-port must be a port number from 1 to 65535, not "${String(value)}"`);
  return port;
}

function parseMinutes(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+(\.\d+)?$/.test(String(value))) throw new Error(`--refresh-margin must be a number of minutes (0 or more), not "${String(value)}"`);
  return Number(value);
}

type Example = [command: string, what: string];

/** gh's layout: a comment line, then the command to paste. */
function examplesText(examples: Example[]): string {
  return `Examples:\n${examples.map(([command, what]) => `  # ${what}\n  $ ${command.replaceAll('$0', 'codex-auth')}`).join('\n\n')}\n\n`;
}

/** The command's own options apart from the global ones, then examples and where to learn more. */
function withGlobals<T>(y: Argv<T>, own: string[], examples: Example[] = []): Argv<T> {
  return y
    .group(own, 'Options:')
    .group(GLOBAL_OPTIONS, 'Global options:')
    .epilogue(`${examples.length > 0 ? examplesText(examples) : ''}${LEARN_MORE}`);
}

const NAMES = { type: 'string', array: true } as const;
const jsonOption = { type: 'boolean', default: false, describe: 'Print the result as JSON' } as const;

/** A command over server names (all when none is given) with --json: logout, unpatch, doctor. */
function serversCommand<T>(y: Argv<T>, usage: string, names: string, examples: Example[]) {
  return withGlobals(y.usage(usage).positional('names', { ...NAMES, describe: names }).option('json', jsonOption), ['json'], examples);
}

type Handler<T> = (ctx: CliContext, args: T) => Promise<number> | number;

/** What the command line does once parsed; `run` is injectable so its parse can be checked against the fast path. */
export interface Actions {
  run(args: RunArgs): Promise<number>;
}

function cli(argv: string[], runCommand: string[], program: Program, actions: Actions, result: { code: number }): Argv {
  const withContext =
    <T extends GlobalOptions>(handler: Handler<T>) =>
    async (args: T) => {
      const ctx = createContext(args, program);
      try {
        result.code = await handler(ctx, args);
      } catch (error) {
        result.code = reportFailure(ctx, error, Boolean(args.debug));
      }
    };
  return yargs(argv)
    .scriptName('codex-auth')
    .usage('Spec-correct MCP OAuth for the Codex CLI: log in once, then start codex through codex-auth.\n\nUsage: $0 <command> [options]')
    .option('config', { type: 'string', describe: 'Codex config file (default: $CODEX_HOME/config.toml)', global: true, requiresArg: true })
    .option('debug', { type: 'boolean', describe: 'Show the request trail and server answers (secrets redacted)', global: true })
    .option('color', { type: 'boolean', describe: 'Force colour on (--color) or off (--no-color); default: on for a terminal, off with NO_COLOR', global: true })
    .command(
      'login [names..]',
      'Log in to remote MCP servers (every one that needs it when no name is given)',
      (y) =>
        withGlobals(
          y
            .usage(
              'Log in to remote MCP servers from config.toml with OAuth, store the tokens and wire the Codex entries to them.\n\n' +
                'With no name, every enabled remote server that is not logged in yet, and finishes wiring entries that are logged in but not wired up (no browser needed). ' +
                'With several servers, a failing one does not stop the others; the summary says which failed.\n\n' +
                'Usage: $0 login [<name>...] [options]',
            )
            .positional('names', { ...NAMES, describe: 'Servers to log in to, as named in config.toml ([mcp_servers.<name>])' })
            .option('scopes', { type: 'string', requiresArg: true, describe: 'Scopes to request, comma or space separated (default: what the server advertises)' })
            .option('resource', { type: 'string', requiresArg: true, describe: 'RFC 8707 resource to request (overrides discovery)' })
            .option('client-id', { type: 'string', requiresArg: true, describe: 'A client id registered with the authorization server beforehand' })
            .option('client-secret-env', { type: 'string', requiresArg: true, describe: 'Name of the environment variable holding that client\'s secret (never pass a secret itself); one server only, the secret is then bound to its authorization server' })
            .option('grant', { type: 'string', requiresArg: true, choices: [...UNATTENDED_GRANTS], describe: 'Log in with no person (CI, services): client_credentials (--client-id with --client-secret-env or --private-key), jwt-bearer (--client-id and a source of the workload JWT), or enterprise (the IdP, the ID token, --client-id)' })
            .option('private-key', { type: 'string', requiresArg: true, describe: 'The client\'s PEM private key file, for private_key_jwt (read at every token request, never copied)' })
            .option('assertion-file', { type: 'string', requiresArg: true, describe: 'jwt-bearer: a file holding the workload JWT (read at every token request)' })
            .option('assertion-env', { type: 'string', requiresArg: true, describe: 'jwt-bearer: the variable holding the workload JWT (taken at login, kept in the 0600 state)' })
            .option('assertion-command', { type: 'string', requiresArg: true, describe: 'jwt-bearer: a command (run with sh -c at every token request) printing the workload JWT' })
            .option('assertion-github-actions', { type: 'boolean', describe: 'jwt-bearer: ask the GitHub Actions runner for an OIDC token at every token request (needs id-token: write)' })
            .option('idp-token-endpoint', { type: 'string', requiresArg: true, describe: 'enterprise: the token endpoint of your identity provider (RFC 8693 token exchange for an ID-JAG)' })
            .option('idp-client-id', { type: 'string', requiresArg: true, describe: "enterprise: codex-auth's client id at the identity provider" })
            .option('idp-client-secret-env', { type: 'string', requiresArg: true, describe: 'enterprise: the variable holding that client\'s secret (kept in the 0600 state)' })
            .option('id-token-file', { type: 'string', requiresArg: true, describe: 'enterprise: a file holding your ID token from the identity provider (read at every token request)' })
            .option('id-token-env', { type: 'string', requiresArg: true, describe: 'enterprise: the variable holding your ID token (taken at login, kept in the 0600 state)' })
            .option('id-token-command', { type: 'string', requiresArg: true, describe: 'enterprise: a command (sh -c, at every token request) printing your ID token' })
            .option('audience', { type: 'string', requiresArg: true, describe: "The audience asked of GitHub Actions (default: the authorization server's issuer)" })
            .option('signing-alg', { type: 'string', requiresArg: true, describe: 'The JWS algorithm for --private-key (default: ES256 when the server lists it, else what the server and the key share)' })
            .option('client-metadata-url', { type: 'string', requiresArg: true, describe: 'Client ID Metadata Document URL, used when the server supports it' })
            .option('client-name', { type: 'string', requiresArg: true, describe: 'The client_name to register under, for servers that register only names they know (remembered for the server)' })
            .option('callback-port', { type: 'string', requiresArg: true, coerce: parsePort, describe: 'Fixed loopback port for the redirect (1-65535)' })
            .option('browser', { type: 'boolean', default: true, describe: 'Open a browser; --no-browser prints the URL and reads the pasted redirect' })
            .option('device', { type: 'boolean', default: false, describe: 'Use the device authorization grant (RFC 8628) on a headless machine' })
            .option('force', { type: 'boolean', default: false, describe: 'Log in again from scratch (registering a new client), and manage entries that set their own bearer_token_env_var' })
            .option('json', { type: 'boolean', default: false, describe: 'Print the results as JSON (a complete document, failures included)' }),
          ['scopes', 'resource', 'client-id', 'client-secret-env', 'grant', 'private-key', 'signing-alg', 'assertion-file', 'assertion-env', 'assertion-command', 'assertion-github-actions', 'audience', 'idp-token-endpoint', 'idp-client-id', 'idp-client-secret-env', 'id-token-file', 'id-token-env', 'id-token-command', 'client-metadata-url', 'client-name', 'callback-port', 'browser', 'device', 'force', 'json'],
          [
            ['$0 login fastmail', 'Log in to the server named fastmail in config.toml'],
            ['$0 login', 'Log in to every remote server that needs it, and finish wiring the others'],
            ['$0 login fastmail --scopes "https://www.fastmail.com/dev/mcp offline_access"', 'Ask for specific scopes'],
            ['$0 login work --client-id abc --client-secret-env WORK_SECRET --callback-port 8765', 'Use a pre-registered client'],
            ['$0 login --no-browser', 'On a remote machine: open the URL elsewhere, paste the final address back'],
            ['$0 login ci-tools --grant client_credentials --client-id ci --client-secret-env CI_SECRET', 'In CI: log in with no browser as a client (renewed the same way when due)'],
            ['$0 login ci-tools --grant client_credentials --client-id ci --private-key ci-key.pem', 'The same with private_key_jwt (RFC 7523)'],
            ['$0 login ci-tools --grant jwt-bearer --client-id ci --assertion-github-actions', 'In GitHub Actions: present the job\'s OIDC token (workload identity federation)'],
            ['$0 login wiki --grant enterprise --idp-token-endpoint https://idp.example/token --idp-client-id codex --id-token-file id.jwt --client-id codex --client-secret-env WIKI_SECRET', 'Behind your company\'s IdP (enterprise-managed authorization)'],
          ],
        ),
      withContext(async (ctx, args) => {
        const { runLogin, splitScopes } = await import('./login.ts');
        const scopes = splitScopes(args.scopes);
        const callbackPort = args['callback-port'];
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
          ...(args.grant ? { grant: args.grant as UnattendedGrant } : {}),
          ...(args['private-key'] ? { privateKey: args['private-key'] } : {}),
          ...(args['signing-alg'] ? { signingAlg: args['signing-alg'] } : {}),
          ...(args['assertion-file'] ? { assertionFile: args['assertion-file'] } : {}),
          ...(args['assertion-env'] ? { assertionEnv: args['assertion-env'] } : {}),
          ...(args['assertion-command'] ? { assertionCommand: args['assertion-command'] } : {}),
          ...(args['assertion-github-actions'] ? { assertionGithubActions: true } : {}),
          ...(args.audience ? { audience: args.audience } : {}),
          ...(args['idp-token-endpoint'] ? { idpTokenEndpoint: args['idp-token-endpoint'] } : {}),
          ...(args['idp-client-id'] ? { idpClientId: args['idp-client-id'] } : {}),
          ...(args['idp-client-secret-env'] ? { idpClientSecretEnv: args['idp-client-secret-env'] } : {}),
          ...(args['id-token-file'] ? { idTokenFile: args['id-token-file'] } : {}),
          ...(args['id-token-env'] ? { idTokenEnv: args['id-token-env'] } : {}),
          ...(args['id-token-command'] ? { idTokenCommand: args['id-token-command'] } : {}),
          ...(args['client-metadata-url'] ? { clientMetadataUrl: args['client-metadata-url'] } : {}),
          ...(args['client-name'] ? { clientName: args['client-name'] } : {}),
          ...(callbackPort ? { callbackPort } : {}),
        });
      }),
    )
    .command(
      'run [command..]',
      'Run a command (default: codex) with every token in its reach',
      (y) =>
        withGlobals(
          y
            .usage(
              'Start the command (default: the real codex) so that it reaches every logged-in server with a fresh token. ' +
                'Codex 0.152 and later run codex-auth\'s header helper themselves: the interactive codex starts exactly as typed. ' +
                '`codex exec`, and every session of an older Codex, get a loopback proxy that refreshes and steps up as needed. ' +
                'Tokens are refreshed only when due. Once the command starts, run exits with its code.\n\n' +
                'Usage: $0 run [options] [-- <command> [<args>...]]',
            )
            .positional('command', { type: 'string', array: true, describe: 'The command and its arguments, after -- (default: codex)' })
            .option('strict', { type: 'boolean', default: false, describe: 'Stop (exit 11, or 7/8) instead of launching when a server needs a login' })
            .option('refresh-margin', { type: 'string', requiresArg: true, coerce: parseMinutes, describe: 'For a token handed over in the environment (--no-proxy, Codex before 0.152): refresh it when it expires within this many minutes or a quarter of its lifetime, whichever is less (default 15; setting refreshMarginMinutes, $CODEX_AUTH_REFRESH_MARGIN)' })
            .option('proxy', { type: 'boolean', describe: 'A loopback proxy in front of the servers for codex exec and Codex before 0.152 (default on; --no-proxy: the header helper, or the token in the environment for older Codex; setting proxy, $CODEX_AUTH_PROXY=0)' })
            .option('login', { type: 'boolean', default: true, describe: 'Log in interactively when a server needs it and a browser is available (--no-login: never)' }),
          ['strict', 'refresh-margin', 'proxy', 'login'],
          [
            ['$0 run', 'Start codex with every token wired'],
            ['$0 run -- codex exec "summarise my inbox"', 'Pass arguments to codex'],
            ['$0 run --strict -- codex exec "..."', 'In scripts: fail rather than start codex without a working login'],
            ["alias codex='codex-auth run -- codex'", 'Make every codex launch go through codex-auth (see codex-auth alias)'],
          ],
        ),
      async (args) => {
        const margin = args['refresh-margin'];
        result.code = await actions.run({
          command: runCommand,
          strict: args.strict,
          login: args.login,
          ...(margin === undefined ? {} : { refreshMarginMinutes: margin }),
          ...(args.proxy === undefined ? {} : { proxy: args.proxy }),
          ...(args.config === undefined ? {} : { config: args.config }),
          ...(args.debug === undefined ? {} : { debug: args.debug }),
          ...(args.color === undefined ? {} : { color: args.color }),
        });
      },
    )
    .command(
      'headers <name>',
      'Print the Authorization header for a server, as Codex asks for it (config.toml runs this as http_headers_helper)',
      (y) =>
        withGlobals(
          y
            .usage(
              'Print the HTTP headers Codex sends to a server, with a fresh token: config.toml runs this as the entry\'s http_headers_helper. ' +
                'It prints a token: keep the output to yourself.\n\nUsage: $0 headers <name> [options]',
            )
            .positional('name', { type: 'string', demandOption: true, describe: 'The server, as named in config.toml' })
            .option('state-dir', { type: 'string', requiresArg: true, describe: "codex-auth's state directory (Codex runs the helper without CODEX_AUTH_HOME)" }),
          ['state-dir'],
          [['$0 headers fastmail', 'What Codex gets for fastmail (prints a token: keep it to yourself)']],
        ),
      withContext(async (ctx, args) => {
        const context = args['state-dir'] ? createContext(args, program, process, { ...process.env, CODEX_AUTH_HOME: args['state-dir'] }) : ctx;
        return (await import('./headers.ts')).runHeaders(context, { name: args.name });
      }),
    )
    .command(
      'status',
      'Show each server: logged in, wired up, issuer, scopes, audience, expiry',
      (y) =>
        withGlobals(
          y
            .usage('Show what codex-auth knows about each MCP server in config.toml. Never prints a token.\n\nUsage: $0 status [options]')
            .option('json', { type: 'boolean', default: false, describe: 'Print the status as JSON' }),
          ['json'],
          [
            ['$0 status', 'Who is logged in, and what to run next'],
            ['$0 status --json', 'Machine-readable status'],
          ],
        ),
      withContext(async (ctx, args) => (await import('./status.ts')).runStatus(ctx, { json: args.json })),
    )
    .command(
      'logout [names..]',
      'Revoke and forget tokens, and undo the config rewrite',
      (y) =>
        serversCommand(
          y,
          'Revoke the tokens at the server (when it offers revocation), forget them, and put the config entries back as they were. ' +
            'With no name, every server codex-auth has a login for. A damaged state file is removed.\n\nUsage: $0 logout [<name>...] [options]',
          'Servers to log out of (default: all)',
          [
            ['$0 logout fastmail', 'Log out of one server'],
            ['$0 logout', 'Log out of every server'],
          ],
        ),
      withContext(async (ctx, args) => (await import('./logout.ts')).runLogout(ctx, { names: args.names ?? [], json: args.json })),
    )
    .command(
      'unpatch [names..]',
      'Put config entries back exactly as they were (logins are kept)',
      (y) =>
        serversCommand(
          y,
          'Undo codex-auth\'s edits to config.toml, byte for byte, and keep the logins. `codex-auth login` wires the entries up again without a browser.\n\n' +
            'Usage: $0 unpatch [<name>...] [options]',
          'Servers whose entries to restore (default: all codex-auth changed)',
          [
            ['$0 unpatch', 'Restore every entry codex-auth changed'],
            ['$0 unpatch fastmail', 'Restore one entry'],
            ['$0 unpatch && $0 login', 'Undo, then wire the entries up again from the stored logins'],
          ],
        ),
      withContext(async (ctx, args) => (await import('./unpatch.ts')).runUnpatch(ctx, { names: args.names ?? [], json: args.json })),
    )
    .command(
      'alias',
      'Print the shell alias that routes codex through codex-auth',
      (y) =>
        withGlobals(
          y
            .usage('Print the alias that makes `codex` start through `codex-auth run`, and the file to put it in.\n\n' +
              'With a Codex that runs config.toml\'s header helper (codex-auth status says whether yours does), the alias is optional: the helper gives every session its token. The alias still adds step-up (more scopes on 403), a long-lived proxy for codex exec, codex mcp login done by codex-auth, and tokens for older Codex releases; it costs about 100 ms per launch.\n\nUsage: $0 alias [options]')
            .option('shell', { choices: ['bash', 'zsh', 'fish'] as const, requiresArg: true, describe: 'The shell to print it for (default: from $SHELL)' })
            .option('json', { type: 'boolean', default: false, describe: 'Print the shell, line and file as JSON' }),
          ['shell', 'json'],
          [
            ['$0 alias', 'The alias for your shell'],
            ['$0 alias --shell fish >> ~/.config/fish/config.fish', 'Add it to fish\'s config'],
          ],
        ),
      withContext(async (ctx, args) => (await import('./alias.ts')).runAlias(ctx, { json: args.json, ...(args.shell ? { shell: args.shell } : {}) })),
    )
    .command(
      'doctor [names..]',
      'Run discovery without logging in and show every step',
      (y) =>
        serversCommand(
          y,
          'For servers that will not log in: probe, discovery and the plan (resource, scopes, client), with every request and the server\'s answers. ' +
            'Nothing is stored and no client is registered.\n\nUsage: $0 doctor [<name>...] [options]',
          'Servers to check (default: every remote server)',
          [
            ['$0 doctor fastmail', 'See what fastmail publishes and what codex-auth would request'],
            ['$0 doctor --json', 'Every remote server, machine-readable'],
          ],
        ),
      withContext(async (ctx, args) => (await import('./doctor.ts')).runDoctor(ctx, { names: args.names ?? [], json: args.json })),
    )
    .command(
      'config',
      "Show or change codex-auth's own settings (settings.json)",
      (y) =>
        withGlobals(
          y
            .usage(
              "Show or change codex-auth's own settings. Environment variables override them for one shell.\n\n" +
                'Settings:\n  proxy                 true | false: the session proxy of `run` (default true; $CODEX_AUTH_PROXY)\n' +
                '  refreshMarginMinutes  minutes: refresh a token handed over in the environment this soon before expiry (default 15; $CODEX_AUTH_REFRESH_MARGIN)\n\n' +
                'Usage: $0 config [get <name> | set <name> <value> | unset <name>] [options]',
            )
            .command('get <name>', 'Print one setting', (sub) => configSubcommand(sub, 'Print the value of one setting in effect.\n\nUsage: $0 config get <name> [options]'), withContext(configAction('get')))
            .command(
              'set <name> <value>',
              'Change a setting',
              (sub) => configSubcommand(sub, 'Change a setting in settings.json.\n\nUsage: $0 config set <name> <value> [options]').positional('value', { type: 'string', describe: 'The new value: true or false for proxy, minutes for refreshMarginMinutes' }),
              withContext(configAction('set')),
            )
            .command('unset <name>', 'Go back to the default', (sub) => configSubcommand(sub, 'Remove a setting from settings.json, so its default applies.\n\nUsage: $0 config unset <name> [options]'), withContext(configAction('unset')))
            .option('json', jsonOption),
          ['json'],
          [
            ['$0 config', 'Show the settings in effect'],
            ['$0 config get proxy', 'Print one setting'],
            ['$0 config set proxy false', 'Give Codex the token itself instead of the session proxy'],
            ['$0 config set refreshMarginMinutes 30', 'Refresh tokens that expire within 30 minutes before launching'],
            ['$0 config unset proxy', 'Back to the default'],
          ],
        ),
      withContext(configAction()),
    )
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
      throw new UsageError(booleanValueProblem(argv) ?? usageMessage(message ?? error?.message ?? 'invalid command line', argv), usage);
    })
    .help()
    .alias('h', 'help')
    .version(PACKAGE?.version ?? 'unknown')
    .exitProcess(false)
    .wrap(Math.min(100, process.stdout.columns ?? 100));
}

function configSubcommand<T>(y: Argv<T>, usage: string) {
  const named = y
    .usage(usage)
    .positional('name', { type: 'string', choices: ['proxy', 'refreshMarginMinutes'] as const, describe: 'The setting: proxy or refreshMarginMinutes' })
    .option('json', jsonOption);
  return withGlobals(named, ['json']);
}

function configAction(action?: 'get' | 'set' | 'unset') {
  return async (ctx: CliContext, args: { name?: string; value?: string; json: boolean }) =>
    (await import('./config.ts')).runConfig(ctx, {
      json: args.json,
      ...(action ? { action } : {}),
      ...(args.name ? { name: args.name } : {}),
      ...(args.value !== undefined ? { value: args.value } : {}),
    });
}

const COMMANDS = ['login', 'run', 'headers', 'status', 'logout', 'unpatch', 'alias', 'doctor', 'config'];

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
    process.stderr.write(`error: ${error.message}\n${error.usage ? `\n${error.usage}\n` : '  next: codex-auth --help\n'}`);
    return ExitCode.usage;
  }
}
