// The session proxy: one loopback listener for the child's lifetime. Codex talks
// to it with a per-run secret; it forwards each request to the real MCP server
// with the current OAuth token, streaming both ways. Tokens never reach Codex.
import { createHash, timingSafeEqual } from 'node:crypto';
import http, { type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { authorizationChallenge, type ProbeResult } from '../oauth/challenge.ts';

export interface ProxyRoute {
  serverName: string;
  upstream: URL;
  /**
   * The access token to send now (refreshed first when near expiry); undefined for a server that
   * answered without authorization at login, whose first challenge then starts a login.
   */
  currentToken(): Promise<string | undefined>;
  /** After a 401: refresh once; the new token, or undefined when none can be had. */
  refreshAfterRejection(rejected: string): Promise<string | undefined>;
  /** After 403 insufficient_scope: re-authorize with more scope; the new token, or undefined. */
  stepUp(challenge: ProbeResult): Promise<string | undefined>;
}

export interface ProxyOptions {
  routes: ProxyRoute[];
  secret: string;
  log?: (line: string) => void;
  maxRequestBodyBytes?: number;
}

export interface RunningProxy {
  port: number;
  urlFor(serverName: string): string;
  close(): Promise<void>;
}

// RFC 9110 §7.6.1: never forwarded, plus what the proxy itself sets.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host', 'authorization', 'content-length']);
const DEFAULT_MAX_BODY = 16 * 1024 * 1024;

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/** Constant-time check of `Authorization: Bearer <secret>`. */
export function hasProxySecret(header: string | undefined, secretDigest: Buffer): boolean {
  const match = /^Bearer\s+(.+)$/i.exec(header ?? '');
  return match?.[1] !== undefined && timingSafeEqual(digest(match[1].trim()), secretDigest);
}

function forwardableHeaders(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const named = new Set(String(headers.connection ?? '').toLowerCase().split(',').map((part) => part.trim()).filter(Boolean));
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || named.has(name)) continue;
    out[name] = value;
  }
  return out;
}

function upstreamUrl(route: ProxyRoute, rest: string, search: string): URL {
  const url = new URL(route.upstream);
  if (rest) url.pathname = url.pathname.replace(/\/$/, '') + rest;
  if (search) url.search = search;
  return url;
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(Object.assign(new Error('request body too large'), { status: 413 }));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(url: URL, method: string, headers: OutgoingHttpHeaders, body: Buffer, abort: AbortSignal): Promise<IncomingMessage> {
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const request = client.request(url, { method, headers: body.length > 0 ? { ...headers, 'content-length': body.length } : headers, signal: abort }, resolve);
    request.on('error', reject);
    request.end(body);
  });
}

/** The challenge of a 403 insufficient_scope answer, or undefined for any other answer. */
export function insufficientScope(response: IncomingMessage, upstream: URL): ProbeResult | undefined {
  if (response.statusCode !== 403) return undefined;
  const header = response.headers['www-authenticate'];
  const challenge = authorizationChallenge(403, header ?? null, upstream);
  return challenge?.error === 'insufficient_scope' ? challenge : undefined;
}

/** The challenge of a 401 (or Bearer 403) to a request sent without a token. */
function firstChallenge(response: IncomingMessage, upstream: URL): ProbeResult | undefined {
  return authorizationChallenge(response.statusCode ?? 0, response.headers['www-authenticate'] ?? null, upstream);
}

async function forward(route: ProxyRoute, req: IncomingMessage, res: ServerResponse, rest: string, search: string, maxBody: number): Promise<string> {
  const body = req.method === 'GET' || req.method === 'HEAD' ? Buffer.alloc(0) : await readBody(req, maxBody);
  const abort = new AbortController();
  res.on('close', () => abort.abort());
  const url = upstreamUrl(route, rest, search);
  const headers = forwardableHeaders(req.headers);
  let token = await route.currentToken();
  let retried = false;
  let steppedUp = false;
  for (;;) {
    const upstream = await send(url, req.method ?? 'GET', token === undefined ? headers : { ...headers, authorization: `Bearer ${token}` }, body, abort.signal);
    if (upstream.statusCode === 401 && token !== undefined && !retried) {
      retried = true;
      upstream.resume();
      const renewed = await route.refreshAfterRejection(token);
      if (renewed) {
        token = renewed;
        continue;
      }
    }
    // A server open at login that now asks for authorization: its challenge starts the login.
    const wanted = steppedUp ? undefined : token === undefined ? firstChallenge(upstream, url) : insufficientScope(upstream, url);
    if (wanted) {
      steppedUp = true;
      upstream.resume();
      const upgraded = await route.stepUp(wanted);
      if (upgraded) {
        token = upgraded;
        continue;
      }
    }
    res.writeHead(upstream.statusCode ?? 502, forwardableHeaders(upstream.headers));
    res.flushHeaders();
    upstream.pipe(res);
    await new Promise<void>((resolve) => {
      upstream.on('end', resolve);
      upstream.on('error', () => resolve());
      res.on('close', () => resolve());
    });
    return `${upstream.statusCode}${retried ? ' after refresh' : ''}${steppedUp ? ' after step-up' : ''}`;
  }
}

export async function startProxy(options: ProxyOptions): Promise<RunningProxy> {
  const secretDigest = digest(options.secret);
  const byPath = new Map(options.routes.map((route) => [`/${encodeURIComponent(route.serverName)}`, route]));
  const maxBody = options.maxRequestBodyBytes ?? DEFAULT_MAX_BODY;
  const server = http.createServer((req, res) => {
    const started = Date.now();
    const target = new URL(req.url ?? '/', 'http://proxy.invalid');
    const prefix = `/${target.pathname.split('/')[1] ?? ''}`;
    const route = byPath.get(prefix);
    const logLine = (outcome: string) => options.log?.(`${req.method} ${prefix} -> ${outcome} (${Date.now() - started} ms)`);
    // The secret first: without it, nobody learns which server names are behind the proxy.
    if (!hasProxySecret(req.headers.authorization, secretDigest)) {
      req.resume();
      res.writeHead(401, { 'content-type': 'text/plain' }).end('missing or wrong proxy secret\n');
      logLine('401 refused: wrong proxy secret');
      return;
    }
    if (!route) {
      req.resume();
      res.writeHead(404, { 'content-type': 'text/plain' }).end('no such MCP server behind this proxy\n');
      logLine('404 unknown server');
      return;
    }
    forward(route, req, res, target.pathname.slice(prefix.length), target.search, maxBody).then(
      (outcome) => logLine(outcome),
      (error: Error & { status?: number }) => {
        if (!res.headersSent) res.writeHead(error.status ?? 502, { 'content-type': 'text/plain' }).end(`codex-auth proxy: ${error.message}\n`);
        else res.destroy();
        logLine(`${error.status ?? 502} ${error.message}`);
      },
    );
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    port,
    urlFor: (serverName) => `http://127.0.0.1:${port}/${encodeURIComponent(serverName)}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
