// A realistic layout for one test: a real authorization server (oidc-provider),
// a real MCP server (SDK + jose) that validates the token, a sandboxed home with
// a Codex config naming the server, and a headless browser as $BROWSER.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { chownSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import * as jose from 'jose';
import TOML from '@iarna/toml';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { startAuthServer, type AuthServer, type AuthServerOptions, type PreRegisteredClient } from '../peers/auth-server.ts';
import { makeBrowserCommand, type BrowserMode } from '../peers/browser.ts';
import { listToolsWithToken, startMcpServer, type McpServer, type McpServerOptions } from '../peers/mcp-server.ts';
import { execa } from 'execa';
import { driveAuthorization } from '../peers/browser.ts';
import { serverFileName } from '../../src/store/names.ts';
import { capturedOutput, CLI, createSandbox, exitStatus, readJson, type Sandbox, serverStateFile } from './harness.ts';

export interface Layout {
  auth: AuthServer;
  mcp: McpServer;
  sandbox: Sandbox;
  resources: Record<string, { scope: string }>;
  browser(mode?: BrowserMode): string;
  close(): Promise<void>;
}

export interface LayoutOptions {
  auth?: Omit<AuthServerOptions, 'resources'>;
  mcp?: Omit<McpServerOptions, 'authServer'>;
  /** Scopes the resource accepts at the authorization server. */
  resourceScope?: string;
  /** Extra TOML lines inside the server's entry. */
  entryToml?: string;
  /** TOML before the servers (top-level keys). */
  topToml?: string;
  serverName?: string;
}

export async function startLayout(options: LayoutOptions = {}): Promise<Layout> {
  const resources: Record<string, { scope: string }> = {};
  const auth = await startAuthServer({ ...options.auth, resources });
  const mcp = await startMcpServer({ ...options.mcp, authServer: { issuer: auth.issuer, jwksUri: auth.jwksUri } });
  // The audience the MCP server checks is the resource the authorization server issues tokens for.
  resources[options.mcp?.audience ?? mcp.resource] = { scope: options.resourceScope ?? 'mcp:read mcp:write' };
  const sandbox = createSandbox();
  const name = options.serverName ?? 'demo';
  sandbox.writeConfig(
    [
      '# my codex config',
      options.topToml ?? 'model = "gpt-5"',
      '',
      `[mcp_servers.${name}]`,
      `url = "${mcp.url}"  # the server`,
      options.entryToml ?? '',
      '',
      '[mcp_servers.local]',
      'command = "echo"',
      '',
    ].join('\n'),
  );
  return {
    auth,
    mcp,
    sandbox,
    resources,
    browser: (mode = 'approve') => makeBrowserCommand(sandbox.root, { mode, logFile: join(sandbox.root, `browser-${mode}.log`) }),
    close: async () => {
      await mcp.close();
      await auth.close();
      sandbox.cleanup();
    },
  };
}

/** Starts a layout, runs the test body against it, and always shuts it down. */
export async function withLayout(options: LayoutOptions, body: (layout: Layout) => Promise<void>): Promise<void> {
  const layout = await startLayout(options);
  try {
    await body(layout);
  } finally {
    await layout.close();
  }
}

export interface StoredGrant {
  serverName: string;
  grant?: {
    issuer: string;
    resource: string;
    mcpUrl: string;
    client: { clientId: string; clientSecret?: string; tokenEndpointAuthMethod: string; source: string };
    tokens: { accessToken: string; refreshToken?: string; expiresAt?: number; scopes?: string[] };
    obtainedAt: number;
  };
  rewrite?: { varName: string };
  needsLogin?: { reason: string };
  open?: { since: number };
}

export function storedState(sandbox: Sandbox, name = 'demo'): StoredGrant | undefined {
  const file = serverStateFile(sandbox, name);
  return existsSync(file) ? readJson<StoredGrant>(file) : undefined;
}

/** The http_headers_helper command line codex-auth wrote into the entry (written for `sh -c`, as Codex runs it). */
export function helperLine(sandbox: Sandbox, name = 'demo'): string {
  const config = TOML.parse(sandbox.readConfig()) as { mcp_servers: Record<string, { http_headers_helper?: string }> };
  const command = config.mcp_servers[name]?.http_headers_helper;
  if (!command) throw new Error(`the ${name} entry has no http_headers_helper of codex-auth's`);
  return command;
}

/** Moves the helper's note of its last answer back in time, as if the last thread began long ago. */
export function forgetLastHandout(sandbox: Sandbox, name = 'demo'): void {
  const file = join(sandbox.stateDir, 'handouts', `${serverFileName(name)}.json`);
  const handouts = JSON.parse(readFileSync(file, 'utf8')) as { last?: { at: number } };
  if (handouts.last) handouts.last.at = 0;
  writeFileSync(file, JSON.stringify(handouts));
}

export function jwtClaims(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** The authorization requests the AS received (the browser's visits to its authorization endpoint). */
export function authorizationRequests(auth: AuthServer) {
  return auth.requests.filter((request) => request.method === 'GET' && request.query.response_type !== undefined);
}

/**
 * Moves the stored token through time, as waiting would: it keeps its lifetime and has
 * `remainingMs` left (negative: expired that long ago). The file keeps its mode.
 */
export function ageStoredToken(sandbox: Sandbox, remainingMs: number, name = 'demo'): void {
  const file = serverStateFile(sandbox, name);
  const state = JSON.parse(readFileSync(file, 'utf8')) as StoredGrant;
  if (!state.grant?.tokens.expiresAt) throw new Error(`no grant with an expiry stored for ${name}`);
  const shift = state.grant.tokens.expiresAt - (Date.now() + remainingMs);
  state.grant.tokens.expiresAt -= shift;
  state.grant.obtainedAt -= shift;
  writeFileSync(file, JSON.stringify(state, null, '\t'));
}

/**
 * Runs `codex-auth login <name> --device` and, while it polls, plays the person: waits for the
 * verification URI on stderr and approves it in the headless browser once `beforeApproving` is done.
 */
export async function deviceLogin(sandbox: Sandbox, name: string, beforeApproving: () => Promise<void> = async () => undefined) {
  const child = execa(process.execPath, [CLI, 'login', name, '--device'], {
    env: sandbox.env,
    extendEnv: false,
    reject: false,
    cwd: sandbox.root,
    stdin: 'ignore',
    timeout: 60_000,
  });
  let stderr = '';
  const verificationUri = new Promise<string>((resolve, reject) => {
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
      const found = /visit (\S+) and enter the code/.exec(stderr)?.[1];
      if (found) resolve(found);
    });
    void child.then(() => reject(new Error(`login ended before showing a code:\n${stderr}`)));
  });
  const uri = await verificationUri;
  await beforeApproving();
  await driveAuthorization(uri);
  const result = await child;
  const out = { code: exitStatus(result), stdout: String(result.stdout), stderr: String(result.stderr), verificationUri: uri };
  capturedOutput.push(out.stdout, out.stderr);
  return out;
}

/** Runs it as Codex does: `sh -c`, the thread's directory (`cwd`), only PATH, HOME and TERM. */
export async function runAsCodex(sandbox: Sandbox, command: string, cwd = sandbox.root) {
  const result = await execa('sh', ['-c', command], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: sandbox.home, TERM: 'xterm' },
    extendEnv: false,
    cwd,
    reject: false,
    stdin: 'ignore',
    stripFinalNewline: false,
  });
  return { code: exitStatus(result), stdout: String(result.stdout), stderr: String(result.stderr) };
}

/** A service client of the client credentials grant, authenticated by a secret the way `method` says. */
export function secretClient(method: string, secret: string): PreRegisteredClient {
  return { client_id: 'ci', client_secret: secret, token_endpoint_auth_method: method, redirect_uris: [], grant_types: ['client_credentials'], scope: 'mcp:read mcp:write' };
}

/** A service client authenticated by private_key_jwt (ES256): its key written to `root`, its public key given to the server. */
export async function keyClient(root: string): Promise<{ client: PreRegisteredClient; keyFile: string }> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const keyFile = join(root, 'ci-key.pem');
  writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  const jwk = { ...(await jose.exportJWK(publicKey)), alg: 'ES256', use: 'sig' };
  return {
    keyFile,
    client: { client_id: 'ci-key', token_endpoint_auth_method: 'private_key_jwt', redirect_uris: [], grant_types: ['client_credentials'], scope: 'mcp:read mcp:write', jwks: { keys: [jwk] } },
  };
}

/** Runs the helper as Codex does, and checks that the token it hands out is one the MCP server accepts. */
export async function helperHandsOut(layout: Layout): Promise<string> {
  const result = await runAsCodex(layout.sandbox, helperLine(layout.sandbox));
  assert.equal(result.code, 0, result.stderr);
  const token = (JSON.parse(result.stdout) as { Authorization: string }).Authorization.replace(/^Bearer /, '');
  assert.deepEqual((await listToolsWithToken(layout.mcp.url, token)).sort(), ['echo', 'whoami']);
  return token;
}

/** As root, permission bits do not stop writes: run the CLI as nobody, with the sandbox handed over. */
export function asUnprivileged(layout: Layout): number | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const nobody = 65534;
  const chownTree = (path: string) => {
    chownSync(path, nobody, nobody);
    if (statSync(path).isDirectory()) for (const entry of readdirSync(path)) chownTree(join(path, entry));
  };
  chownTree(layout.sandbox.root);
  return nobody;
}
