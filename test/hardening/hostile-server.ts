// A hand-written MCP server + authorization server on one loopback origin, correct
// by default, where a test case replaces any one route with a hostile or broken
// answer. It records every secret it issues so the output can be scanned for them.
import http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { closeServer, listenOnLoopback, readBody } from '../peers/net.ts';

export type Route = 'mcp' | 'resource-metadata' | 'as-metadata' | 'register' | 'token' | 'device';

export interface HostileRequest {
  req: IncomingMessage;
  res: ServerResponse;
  origin: string;
  form: URLSearchParams;
  json: Record<string, unknown>;
}

/** Replaces a route; `good` is what the correct server would answer (a JSON body), to tweak. */
export type Handler = (request: HostileRequest, good: () => Record<string, unknown>) => void;

export interface HostileServer {
  origin: string;
  mcpUrl: string;
  /** Every token, code and secret this server issued or received. */
  secrets: Set<string>;
  /** Paths requested, in order. */
  paths: string[];
  use(routes: Partial<Record<Route, Handler>>): void;
  close(): Promise<void>;
}

const PRM_PATH = '/.well-known/oauth-protected-resource/mcp';
const AS_METADATA_PATH = '/.well-known/oauth-authorization-server';

export async function startHostileServer(): Promise<HostileServer> {
  const server = http.createServer();
  const origin = await listenOnLoopback(server);
  const secrets = new Set<string>();
  const paths: string[] = [];
  let overrides: Partial<Record<Route, Handler>> = {};
  const issue = (prefix: string) => {
    const value = `${prefix}-${randomBytes(12).toString('hex')}`;
    secrets.add(value);
    return value;
  };

  const defaults: Record<Route, (request: HostileRequest) => Record<string, unknown>> = {
    mcp: () => ({}),
    'resource-metadata': () => ({ resource: `${origin}/mcp`, authorization_servers: [origin], scopes_supported: ['mcp'] }),
    'as-metadata': () => ({
      issuer: origin,
      authorization_endpoint: `${origin}/authorize`,
      token_endpoint: `${origin}/token`,
      registration_endpoint: `${origin}/register`,
      response_types_supported: ['code'],
      grant_types_supported: ['authorization_code', 'refresh_token'],
      code_challenge_methods_supported: ['S256'],
      token_endpoint_auth_methods_supported: ['none'],
      authorization_response_iss_parameter_supported: true,
    }),
    register: ({ json }) => ({ client_id: `client-${randomBytes(6).toString('hex')}`, redirect_uris: json.redirect_uris, token_endpoint_auth_method: 'none', grant_types: ['authorization_code', 'refresh_token'] }),
    token: () => ({ access_token: issue('access'), token_type: 'Bearer', expires_in: 3600, refresh_token: issue('refresh'), scope: 'mcp' }),
    // Served, but advertised only when a test adds device_authorization_endpoint to the metadata.
    device: () => ({ device_code: issue('device'), user_code: 'ABCD-EFGH', verification_uri: `${origin}/activate`, expires_in: 600, interval: 1 }),
  };
  const goodAnswer: Record<Route, Handler> = {
    mcp: ({ res }) => {
      res.writeHead(401, { 'www-authenticate': `Bearer resource_metadata="${origin}${PRM_PATH}"`, 'content-type': 'application/json' });
      res.end('{"error":"unauthorized"}');
    },
    'resource-metadata': (_request, good) => sendJson(_request.res, 200, good()),
    'as-metadata': (request, good) => sendJson(request.res, 200, good()),
    register: (request, good) => sendJson(request.res, 201, good()),
    token: (request, good) => sendJson(request.res, 200, good()),
    device: (request, good) => sendJson(request.res, 200, good()),
  };

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const url = new URL(req.url ?? '/', origin);
      paths.push(url.pathname);
      const body = req.method === 'POST' ? (await readBody(req)).toString() : '';
      const form = new URLSearchParams(req.headers['content-type']?.includes('urlencoded') ? body : '');
      for (const field of ['code', 'code_verifier', 'refresh_token']) for (const value of form.getAll(field)) secrets.add(value);
      const json = req.headers['content-type']?.includes('json') ? (JSON.parse(body) as Record<string, unknown>) : {};
      const route = routeOf(url.pathname);
      if (!route) return sendJson(res, 404, { error: 'not_found' });
      const request: HostileRequest = { req, res, origin, form, json };
      (overrides[route] ?? goodAnswer[route])(request, () => defaults[route](request));
    })().catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
    });
  });

  return {
    origin,
    mcpUrl: `${origin}/mcp`,
    secrets,
    paths,
    use: (routes) => {
      overrides = routes;
    },
    close: () => closeServer(server),
  };
}

function routeOf(path: string): Route | undefined {
  if (path === '/mcp') return 'mcp';
  if (path === PRM_PATH || path === '/.well-known/oauth-protected-resource') return 'resource-metadata';
  if (path === AS_METADATA_PATH || path === '/.well-known/openid-configuration') return 'as-metadata';
  if (path === '/register') return 'register';
  if (path === '/token') return 'token';
  if (path === '/device') return 'device';
  return undefined;
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

export function sendRaw(res: ServerResponse, status: number, contentType: string, body: string | Buffer): void {
  res.writeHead(status, { 'content-type': contentType }).end(body);
}

/** What the callback browser does with the authorization URL. */
export type CallbackMode = 'ok' | 'wrong-state' | 'no-code' | 'error' | 'wrong-iss' | 'probe-listener' | 'intruder-first';

/** What `probe-listener` found out about the callback listener (written to $CALLBACK_REPORT). */
export interface ListenerReport {
  host: string;
  ipv6: string;
  otherPath: number;
  callback: number;
  second: string;
}

/**
 * A `$BROWSER` that skips the authorization page and calls the client's redirect_uri itself,
 * the way the authorization server would redirect, altered as the mode (env CALLBACK_MODE) says.
 */
export function makeCallbackBrowser(dir: string): string {
  const script = join(dir, 'callback-browser.mjs');
  writeFileSync(
    script,
    `// codex-auth hands over a file: URL of a page that links to the authorization URL (src/ui/handoff.ts).
const handed = process.argv[2];
const page = handed.startsWith('file:') ? (await import('node:fs')).readFileSync(new URL(handed), 'utf8') : undefined;
const link = page === undefined ? handed : /<a id="continue" href="([^"]*)"/.exec(page)[1].replaceAll('&amp;', '&');
const url = new URL(link);
const mode = process.env.CALLBACK_MODE ?? 'ok';
const back = new URL(url.searchParams.get('redirect_uri'));
const state = url.searchParams.get('state');
const params = {
  ok: { code: 'code-' + Math.random().toString(16).slice(2), state, iss: url.origin },
  'wrong-state': { code: 'code-x1', state: 'not-the-state', iss: url.origin },
  'no-code': { state, iss: url.origin },
  error: { error: 'access_denied', error_description: 'the user said no', state, iss: url.origin },
  'wrong-iss': { code: 'code-x2', state, iss: 'http://attacker.invalid' },
}[mode] ?? {};
const outcome = (promise) => promise.then((response) => String(response.status), (error) => error.cause?.code ?? 'failed');
if (mode === 'probe-listener') {
  // Where the listener answers, and that it serves exactly one callback before closing.
  const report = { host: back.hostname };
  report.ipv6 = await outcome(fetch('http://[::1]:' + back.port + back.pathname));
  report.otherPath = Number(await outcome(fetch(new URL('/favicon.ico', back))));
  for (const [key, value] of Object.entries({ code: 'code-' + Math.random().toString(16).slice(2), state, iss: url.origin })) back.searchParams.set(key, value);
  report.callback = Number(await outcome(fetch(back)));
  await new Promise((resolve) => setTimeout(resolve, 200));
  report.second = await outcome(fetch(back));
  (await import('node:fs')).writeFileSync(process.env.CALLBACK_REPORT, JSON.stringify(report));
} else if (mode === 'intruder-first') {
  // Another local user, who sees the port in /proc/net/tcp but not the state, answers first from
  // their own process; then the real redirect arrives. The intruder's status goes to $CALLBACK_REPORT.
  const intruder = new URL(back);
  for (const [key, value] of Object.entries({ error: 'access_denied', error_description: 'INTRUDER \u001b[2J\u001b]0;owned\u0007 text', state: 'guessed' })) intruder.searchParams.set(key, value);
  const { execFileSync } = await import('node:child_process');
  const status = execFileSync(process.execPath, ['-e', 'fetch(process.argv[1]).then((r) => process.stdout.write(String(r.status)))', intruder.href]).toString();
  (await import('node:fs')).writeFileSync(process.env.CALLBACK_REPORT, status);
  for (const [key, value] of Object.entries({ code: 'code-' + Math.random().toString(16).slice(2), state, iss: url.origin })) back.searchParams.set(key, value);
  await fetch(back);
} else {
  for (const [key, value] of Object.entries(params)) back.searchParams.set(key, value);
  await fetch(back);
}
`,
  );
  const command = join(dir, 'callback-browser.sh');
  writeFileSync(command, `#!/bin/sh\nexec '${process.execPath}' '${script}' "$@"\n`);
  chmodSync(command, 0o755);
  return command;
}
