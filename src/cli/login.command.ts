// `codex-auth login`: its usage, flags and examples, and the call to its run function.
import type { UnattendedGrant } from '../oauth/flow.ts';
import { defineCommand, NAMES, withGlobals } from './command-module.ts';

function parsePort(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const port = Number(value);
  if (!/^\d+$/.test(String(value)) || port < 1 || port > 65535) throw new Error(`--callback-port must be a port number from 1 to 65535, not "${String(value)}"`);
  return port;
}

export const loginCommand = defineCommand({
  command: 'login [names..]',
  describe: 'Log in to remote MCP servers (every one that needs it when no name is given)',
  builder: (y) =>
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
        .option('grant', { type: 'string', requiresArg: true, choices: ['client_credentials'], describe: 'Log in with no person (CI, services): client_credentials, with --client-id and --client-secret-env or --private-key' })
        .option('private-key', { type: 'string', requiresArg: true, describe: 'The client\'s PEM private key file, for private_key_jwt (read at every token request, never copied)' })
        .option('signing-alg', { type: 'string', requiresArg: true, describe: 'The JWS algorithm for --private-key (default: ES256 when the server lists it, else what the server and the key share)' })
        .option('client-metadata-url', { type: 'string', requiresArg: true, describe: 'Client ID Metadata Document URL, used when the server supports it' })
        .option('client-name', { type: 'string', requiresArg: true, describe: 'The client_name to register under, for servers that register only names they know (remembered for the server)' })
        .option('callback-port', { type: 'string', requiresArg: true, coerce: parsePort, describe: 'Fixed loopback port for the redirect (1-65535)' })
        .option('browser', { type: 'boolean', default: true, describe: 'Open a browser; --no-browser prints the URL and reads the pasted redirect' })
        .option('device', { type: 'boolean', default: false, describe: 'Use the device authorization grant (RFC 8628) on a headless machine' })
        .option('force', { type: 'boolean', default: false, describe: 'Log in again from scratch (registering a new client), and manage entries that set their own bearer_token_env_var' })
        .option('json', { type: 'boolean', default: false, describe: 'Print the results as JSON (a complete document, failures included)' }),
      ['scopes', 'resource', 'client-id', 'client-secret-env', 'grant', 'private-key', 'signing-alg', 'client-metadata-url', 'client-name', 'callback-port', 'browser', 'device', 'force', 'json'],
      [
        ['$0 login fastmail', 'Log in to the server named fastmail in config.toml'],
        ['$0 login', 'Log in to every remote server that needs it, and finish wiring the others'],
        ['$0 login fastmail --scopes "https://www.fastmail.com/dev/mcp offline_access"', 'Ask for specific scopes'],
        ['$0 login work --client-id abc --client-secret-env WORK_SECRET --callback-port 8765', 'Use a pre-registered client'],
        ['$0 login --no-browser', 'On a remote machine: open the URL elsewhere, paste the final address back'],
        ['$0 login ci-tools --grant client_credentials --client-id ci --client-secret-env CI_SECRET', 'In CI: log in with no browser as a client (renewed the same way when due)'],
        ['$0 login ci-tools --grant client_credentials --client-id ci --private-key ci-key.pem', 'The same with private_key_jwt (RFC 7523)'],
      ],
    ),
  run: async (ctx, args) => {
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
      ...(args['client-metadata-url'] ? { clientMetadataUrl: args['client-metadata-url'] } : {}),
      ...(args['client-name'] ? { clientName: args['client-name'] } : {}),
      ...(callbackPort ? { callbackPort } : {}),
    });
  },
});
