// A real MCP resource server for tests: the SDK's Streamable HTTP transport (one per session) behind a
// small http layer that serves protected-resource metadata (RFC 9728), answers 401/403 with Bearer
// challenges, and verifies access tokens with jose against the authorization server's JWKS.
import http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import * as jose from 'jose';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CallToolRequestSchema, ListToolsRequestSchema, isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { closeServer, listenOnLoopback, readBody } from './net.ts';

export type PrmLocation = 'challenge' | 'path' | 'root';

export interface McpServerOptions {
  authServer: { issuer: string; jwksUri: string };
  mcpPath?: string;
  /** Default: the MCP URL. A function gets the origin once listening (user report 1: `(origin) => origin`). */
  resource?: string | ((origin: string) => string);
  prmAt?: PrmLocation[];
  /** Default: the authorization server's issuer. A function gets that issuer (Google lists `https://accounts.google.com/`, with a slash its metadata lacks). */
  authorizationServers?: string[] | ((issuer: string) => string[]);
  scopesSupported?: string[];
  challengeScope?: string;
  requiredScopes?: string[];
  stepUpScopes?: string[];
  jsonResponses?: boolean;
  toolText?: string;
  /** A server that needs no authorization at all: every request is served without a token, and no PRM is published. */
  open?: boolean;
  /**
   * JSON-RPC methods served without a token (Google's hosted servers: initialize and tools/list);
   * the first request that needs one (tools/call) meets the 401 challenge.
   */
  openMethods?: string[];
  /** What a plain GET of the MCP URL gets: 405 (no event stream offered) or an HTML landing page. */
  getAnswer?: 'method-not-allowed' | 'landing-page';
  /** A second WWW-Authenticate header sent before the Bearer one on a 401 (e.g. `Basic realm="mcp"`). */
  extraChallenge?: string;
  /** The audience tokens must carry when it is not the PRM resource (Entra: `api://…` application ids). */
  audience?: string;
}

export interface McpRequestRecord {
  method: string;
  path: string;
  rpcMethod?: string;
  tokenOk: boolean;
  status: number;
  tokenAud?: string | string[];
  tokenScope?: string;
}

export interface McpServer {
  url: string;
  origin: string;
  marker: string;
  /** The PRM `resource`: what a token's `aud` must be. */
  resource: string;
  requests: McpRequestRecord[];
  /**
   * Access tokens this server no longer accepts though they are unexpired (revoked by an admin,
   * lost on a server restart): answered 401 invalid_token like any bad token.
   */
  revokedTokens: Set<string>;
  close(): Promise<void>;
}

/** Where the 'challenge' PRM lives: a path no well-known lookup would guess. */
export const CHALLENGE_PRM_PATH = '/custom/prm-location';

type TokenCheck =
  | { ok: true; aud?: string | string[]; scopes: Set<string>; scope?: string }
  | { ok: false; present: boolean; aud?: string | string[]; scope?: string };

export async function startMcpServer(options: McpServerOptions): Promise<McpServer> {
  const server = http.createServer();
  const origin = await listenOnLoopback(server);
  const mcpPath = options.mcpPath ?? '/mcp';
  const url = origin + mcpPath;
  const resource = typeof options.resource === 'function' ? options.resource(origin) : (options.resource ?? url);
  const marker = options.toolText ?? `whoami-marker-${randomUUID()}`;
  // An open server publishes no protected-resource metadata: publishing it says the server is protected.
  const prmAt = options.prmAt ?? (options.open ? [] : ['challenge', 'path', 'root']);
  const prm = {
    resource,
    authorization_servers: typeof options.authorizationServers === 'function' ? options.authorizationServers(options.authServer.issuer) : (options.authorizationServers ?? [options.authServer.issuer]),
    bearer_methods_supported: ['header'],
    ...(options.scopesSupported ? { scopes_supported: options.scopesSupported } : {}),
  };
  const prmPaths = new Set(prmAt.map((at) => prmPath(at, mcpPath)));
  const resourceMetadataUrl = prmAt.includes('challenge') ? origin + CHALLENGE_PRM_PATH : undefined;
  const verifier = new TokenVerifier(options.authServer, options.audience ?? resource);
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  const requests: McpRequestRecord[] = [];
  const revokedTokens = new Set<string>();

  const challenge = (params: Record<string, string | undefined>) => bearerChallenge({ ...params, resource_metadata: resourceMetadataUrl });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', origin).pathname;
    const record: McpRequestRecord = { method: req.method ?? 'GET', path, tokenOk: false, status: 0 };
    requests.push(record);
    res.on('finish', () => (record.status = res.statusCode));

    if (req.method === 'GET' && prmPaths.has(path)) return sendJson(res, 200, prm);
    if (path !== mcpPath) return sendJson(res, 404, { error: 'not_found' });
    if (req.method === 'GET' && options.getAnswer === 'method-not-allowed') return void res.writeHead(405, { allow: 'POST, DELETE' }).end();
    if (req.method === 'GET' && options.getAnswer === 'landing-page') return void res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(LANDING_PAGE);

    const body = req.method === 'POST' ? await readJson(req) : undefined;
    record.rpcMethod = rpcMethodOf(body);
    if (options.open) return dispatchToSession(req, res, body);
    if (req.headers.authorization === undefined && record.rpcMethod !== undefined && options.openMethods?.includes(record.rpcMethod)) {
      return dispatchToSession(req, res, body);
    }
    const presented = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const token = presented !== undefined && revokedTokens.has(presented) ? { ok: false as const, present: true } : await verifier.check(req.headers.authorization);
    record.tokenAud = token.aud;
    record.tokenScope = token.scope;
    if (!token.ok) {
      const error = token.present ? { error: 'invalid_token' } : {};
      const bearer = challenge({ ...error, scope: options.challengeScope });
      return sendJson(res, 401, { error: 'unauthorized' }, { 'www-authenticate': options.extraChallenge ? [options.extraChallenge, bearer] : bearer });
    }
    record.tokenOk = true;
    const needed = [...(options.requiredScopes ?? []), ...(record.rpcMethod === 'tools/call' ? (options.stepUpScopes ?? []) : [])];
    if (needed.some((scope) => !token.scopes.has(scope))) {
      const scope = [...new Set([...token.scopes, ...needed])].join(' ');
      return sendJson(res, 403, { error: 'insufficient_scope' }, { 'www-authenticate': challenge({ error: 'insufficient_scope', scope }) });
    }
    await dispatchToSession(req, res, body);
  }

  async function dispatchToSession(req: IncomingMessage, res: ServerResponse, body: unknown): Promise<void> {
    const sessionId = req.headers['mcp-session-id'];
    const existing = typeof sessionId === 'string' ? sessions.get(sessionId) : undefined;
    if (existing) return existing.handleRequest(req, res, body);
    if (sessionId !== undefined || !isInitializeRequest(body)) {
      return sendJson(res, sessionId ? 404 : 400, { jsonrpc: '2.0', error: { code: -32000, message: 'No valid session' }, id: null });
    }
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      enableJsonResponse: options.jsonResponses ?? false,
      onsessioninitialized: (id) => void sessions.set(id, transport),
    });
    transport.onclose = () => {
      if (transport.sessionId) sessions.delete(transport.sessionId);
    };
    await createToolServer(marker).connect(transport);
    await transport.handleRequest(req, res, body);
  }

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch((error: unknown) => {
      console.error('mcp-server error:', error);
      if (!res.headersSent) res.writeHead(500).end();
    });
  });

  return {
    url,
    origin,
    marker,
    resource,
    requests,
    revokedTokens,
    close: async () => {
      await Promise.all([...sessions.values()].map((transport) => transport.close()));
      await closeServer(server);
    },
  };
}

/** "A login counts only if the MCP server then accepts the token": connect with it and list tools. */
export async function listToolsWithToken(url: string, token: string): Promise<string[]> {
  return withClient(url, token, async (client) => (await client.listTools()).tools.map((tool) => tool.name));
}

/** Calls one tool with the token and returns the text of its result. */
export async function callToolWithToken(url: string, token: string, name: string, args: Record<string, unknown> = {}): Promise<string> {
  return withClient(url, token, async (client) => {
    const result = (await client.callTool({ name, arguments: args })) as CallToolResult;
    return result.content.map((part) => (part.type === 'text' ? part.text : '')).join('');
  });
}

async function withClient<T>(url: string, token: string, use: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ name: 'codex-auth-test-peer', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers: { authorization: `Bearer ${token}` } },
  });
  await client.connect(transport);
  try {
    return await use(client);
  } finally {
    await client.close();
  }
}

function createToolServer(marker: string): Server {
  const server = new Server({ name: 'codex-auth-test-mcp', version: '1.0.0' }, { capabilities: { tools: {} } });
  server.setRequestHandler(ListToolsRequestSchema, () => ({
    tools: [
      { name: 'whoami', description: 'Returns a marker that proves the call reached this server.', inputSchema: { type: 'object', properties: {} } },
      {
        name: 'echo',
        description: 'Returns the text it is given.',
        inputSchema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
      },
    ],
  }));
  server.setRequestHandler(CallToolRequestSchema, (request): CallToolResult => {
    const { name, arguments: args } = request.params;
    if (name === 'whoami') return { content: [{ type: 'text', text: marker }] };
    if (name === 'echo') return { content: [{ type: 'text', text: String(args?.text ?? '') }] };
    return { content: [{ type: 'text', text: `unknown tool ${name}` }], isError: true };
  });
  return server;
}

class TokenVerifier {
  private readonly jwks;

  constructor(
    private readonly authServer: { issuer: string; jwksUri: string },
    private readonly resource: string,
  ) {
    this.jwks = jose.createRemoteJWKSet(new URL(authServer.jwksUri));
  }

  async check(authorization: string | undefined): Promise<TokenCheck> {
    const token = /^Bearer (\S+)$/i.exec(authorization ?? '')?.[1];
    if (!token) return { ok: false, present: false };
    let payload: jose.JWTPayload;
    try {
      ({ payload } = await jose.jwtVerify(token, this.jwks, { issuer: this.authServer.issuer }));
    } catch {
      return { ok: false, present: true };
    }
    const scope = typeof payload.scope === 'string' ? payload.scope : undefined;
    const seen = { aud: payload.aud, scope };
    if (!this.isExactlyForThisResource(payload.aud)) return { ok: false, present: true, ...seen };
    return { ok: true, ...seen, scopes: new Set(scope?.split(' ').filter(Boolean)) };
  }

  // RFC 8707: the audience must be this resource, exactly and alone (no prefix or normalising).
  private isExactlyForThisResource(aud: string | string[] | undefined): boolean {
    const audiences = Array.isArray(aud) ? aud : [aud];
    return audiences.length === 1 && audiences[0] === this.resource;
  }
}

function prmPath(at: PrmLocation, mcpPath: string): string {
  if (at === 'challenge') return CHALLENGE_PRM_PATH;
  if (at === 'path') return `/.well-known/oauth-protected-resource${mcpPath}`;
  return '/.well-known/oauth-protected-resource';
}

function bearerChallenge(params: Record<string, string | undefined>): string {
  const order = ['error', 'scope', 'resource_metadata'];
  const parts = order.filter((key) => params[key] !== undefined).map((key) => `${key}="${params[key]}"`);
  return parts.length ? `Bearer ${parts.join(', ')}` : 'Bearer';
}

function rpcMethodOf(body: unknown): string | undefined {
  const first = Array.isArray(body) ? body[0] : body;
  const method = (first as { method?: unknown } | undefined)?.method;
  return typeof method === 'string' ? method : undefined;
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const text = (await readBody(req)).toString();
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}

const LANDING_PAGE = '<!doctype html><html><head><title>Example MCP server</title></head><body><h1>This is an MCP server</h1><p>Add its URL to your MCP client.</p></body></html>';

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string | string[]> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}
