// Real authorization and MCP servers as they are (issue #12): layouts whose oidc-provider and SDK
// MCP server behave the way Supabase, GitHub, Figma, Google, single-page apps, stock OpenID
// providers and Entra-fronted servers do, and the proof that a login through the CLI works
// against one: `run` hands a real MCP client the token and the client calls every tool.
// Reusable for `run -- codex exec` proofs: startLayout(REAL_SERVERS.figma.layout), then log in
// with REAL_SERVERS.figma.loginArgs.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ClientReport } from '../peers/mcp-client-cli.ts';
import { runCli, type CliResult, type Sandbox } from './harness.ts';
import type { Layout, LayoutOptions } from './fixtures.ts';

export interface RealServer {
  /** What the real server does, in a line. */
  behaviour: string;
  layout: LayoutOptions;
  /** What `codex-auth login demo` needs on top against it. */
  loginArgs: string[];
}

/** The Entra-style application id URI the token's audience must be (set as oauth_resource). */
export const ENTRA_APP_ID_URI = 'api://codex-demo-app';
const ENTRA_CLIENT_ID = '11111111-2222-3333-4444-555555555555';

export const REAL_SERVERS = {
  supabase: {
    behaviour: 'the token endpoint answers success with 201 Created',
    layout: { auth: { quirks: { tokenSuccessStatus: 201 } } },
    loginArgs: [],
  },
  github: {
    behaviour: 'token errors come with HTTP 200; the granted scope is comma-separated ("mcp:read,mcp:write,offline_access")',
    layout: { auth: { quirks: { tokenErrorStatus: 200, grantedScope: 'comma-separated' } } },
    loginArgs: [],
  },
  githubApp: {
    behaviour: 'the granted scope is empty ("scope": "")',
    layout: { auth: { quirks: { grantedScope: 'empty' } } },
    loginArgs: [],
  },
  figma: {
    behaviour: 'registers only known client names (403 "Forbidden" in plain text otherwise); issues a secret while saying token_endpoint_auth_method "none"',
    layout: { auth: { quirks: { allowedClientNames: ['Claude Code'], secretWithAuthMethodNone: true } } },
    loginArgs: ['--client-name', 'Claude Code'],
  },
  gluu: {
    behaviour: 'a registration is answered 200 OK (oxAuth\'s return200OnClientRegistration, on by default), not 201 Created',
    layout: { auth: { quirks: { registrationSuccessStatus: 200 } } },
    loginArgs: [],
  },
  google: {
    behaviour: 'initialize and tools/list answer without a token; tools/call gets the 401; resource metadata only at its well-known location',
    layout: { mcp: { openMethods: ['initialize', 'notifications/initialized', 'tools/list'], prmAt: ['path'] } },
    loginArgs: [],
  },
  googleIssuer: {
    behaviour: 'the protected-resource metadata lists the authorization server as "https://accounts.google.com/", its metadata names the issuer "https://accounts.google.com" (no slash)',
    layout: { mcp: { authorizationServers: (issuer: string) => [`${issuer}/`] } },
    loginArgs: [],
  },
  singlePageApp: {
    behaviour: 'a single-page app answers /.well-known/oauth-authorization-server with 200 text/html; OpenID discovery has the metadata',
    layout: { auth: { metadataForms: ['oidc-append'], quirks: { singlePageApp: true } } },
    loginArgs: [],
  },
  stockOpenId: {
    behaviour: "oidc-provider's own rule: offline_access and the refresh token only when the request says prompt=consent",
    layout: { auth: { quirks: { stockRefreshTokenPolicy: true } }, mcp: { scopesSupported: ['mcp:read', 'mcp:write'] } },
    loginArgs: [],
  },
  entra: {
    behaviour: 'no registration endpoint use: a client registered by the operator; the audience is an api:// application id URI (oauth_resource), the scopes fully qualified under it',
    layout: {
      auth: { clients: [{ client_id: ENTRA_CLIENT_ID, redirect_uris: ['http://127.0.0.1/callback'], application_type: 'native' }] },
      mcp: { audience: ENTRA_APP_ID_URI },
      resourceScope: `${ENTRA_APP_ID_URI}/mcp.tools`,
      entryToml: `oauth_resource = "${ENTRA_APP_ID_URI}"\nscopes = ["${ENTRA_APP_ID_URI}/mcp.tools", "offline_access"]\n[mcp_servers.demo.oauth]\nclient_id = "${ENTRA_CLIENT_ID}"`,
    },
    loginArgs: [],
  },
} satisfies Record<string, RealServer>;

const CLIENT = fileURLToPath(new URL('../peers/mcp-client-cli.ts', import.meta.url));

/** `codex-auth run [--strict] -- <a real MCP client>`: the client gets the token `run` gives non-codex commands. */
export async function callToolsThroughRun(sandbox: Sandbox, mcpUrl: string, options: { strict?: boolean; serverName?: string } = {}): Promise<{ run: CliResult; report: ClientReport }> {
  const variable = `CODEX_AUTH_${(options.serverName ?? 'demo').toUpperCase()}_TOKEN`;
  const reportFile = join(sandbox.root, `client-report-${Date.now()}.json`);
  const run = await runCli(sandbox, ['run', ...(options.strict === false ? [] : ['--strict']), '--', process.execPath, '--import', import.meta.resolve('tsx'), CLIENT, mcpUrl, variable, reportFile]);
  let report: ClientReport;
  try {
    report = JSON.parse(readFileSync(reportFile, 'utf8')) as ClientReport;
  } catch {
    assert.fail(`the client wrote no report (run exited ${run.code}): ${run.stderr}`);
  }
  return { run, report };
}

/** Logs in through the CLI, then proves the token works: whoami through `run` returns the server's marker. */
export async function loginAndCallTool(layout: Layout, loginArgs: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<{ login: CliResult; report: ClientReport }> {
  const login = await runCli(layout.sandbox, ['login', 'demo', ...loginArgs], { env: { BROWSER: layout.browser(), ...env } });
  assert.equal(login.code, 0, `login failed: ${login.stderr}`);
  const { run, report } = await callToolsThroughRun(layout.sandbox, layout.mcp.url);
  assert.equal(run.code, 0, `run failed: ${run.stderr}\n${JSON.stringify(report)}`);
  assert.equal(report.calls.whoami?.text, layout.mcp.marker, 'the tool call reached the server with an accepted token');
  return { login, report };
}
