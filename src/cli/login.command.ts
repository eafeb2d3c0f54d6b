// `codex-auth login`: its usage, flags and examples, and the call to its run function.
import { UNATTENDED_GRANTS, type UnattendedGrant } from '../oauth/unattended-grants.ts';
import { defineCommand, lastOf, NAMES, withGlobals } from './command-module.ts';

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
        .option('scopes', { type: 'string', requiresArg: true, coerce: (given: string | string[]) => [given].flat().join(' '), describe: 'Scopes to request, comma or space separated, or --scopes given again (default: what the server advertises)' })
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
        .option('callback-port', { type: 'string', requiresArg: true, coerce: lastOf(parsePort), describe: 'Fixed loopback port for the redirect (1-65535)' })
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
  },
});
