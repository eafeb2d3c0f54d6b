// A fake OpenAI Responses API for driving the real Codex CLI in tests. Codex POSTs <base>/responses
// with stream: true; each answer is chosen by a script and streamed back as Server-Sent Events.
// Checked against Codex 0.169.0 and 0.130.0: both offer MCP tools as `namespace` tools (named
// differently) and the shell as `exec_command` with a `cmd` string.
import http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as delay } from 'node:timers/promises';
import { installedCodexRelease } from './codex-releases.ts';
import { closeServer, listenOnLoopback, readBody } from './net.ts';

export interface ModelTurnContext {
  /** 1-based count of the requests this server has received (across Codex runs, if reused). */
  turn: number;
  /** The request body as Codex sent it. */
  body: any;
  /** The tools Codex offered in this request. */
  tools: any[];
  /** The newest `function_call_output` in the request's input, as text. */
  lastToolOutput?: string;
  /** The text of the newest user message: the prompt this request works on. */
  userText?: string;
  /** The input ends with a tool's output: this request asks what to do with it. */
  answersToolCall: boolean;
}
export type ModelAction =
  | { type: 'call-mcp-tool'; server: string; tool: string; args?: Record<string, unknown> }
  | { type: 'run-shell'; command: string[] }
  | { type: 'message'; text: string }
  | { type: 'wait'; ms: number; then: ModelAction };
export type ModelScript = (ctx: ModelTurnContext) => ModelAction;

export interface ModelServer {
  baseUrl: string;
  /** Every parsed request body Codex sent to /responses, in order. */
  requests: any[];
  close(): Promise<void>;
}

export async function startModelServer(script: ModelScript): Promise<ModelServer> {
  const server = http.createServer();
  const origin = await listenOnLoopback(server);
  const requests: any[] = [];

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', origin).pathname;
    if (req.method !== 'POST' || path !== '/v1/responses') {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'not found' } }));
      return;
    }
    const body = JSON.parse((await readBody(req)).toString());
    requests.push(body);
    const context: ModelTurnContext = {
      turn: requests.length,
      body,
      tools: body.tools ?? [],
      lastToolOutput: lastToolOutput(body.input ?? []),
      userText: lastUserText(body.input ?? []),
      answersToolCall: (body.input ?? []).at(-1)?.type === 'function_call_output',
    };
    const action = await settle(script(context));
    streamResponse(res, requests.length, outputItem(action, context.tools, requests.length));
  }

  // A script failure answers 400: Codex retries a 5xx for many seconds but gives up on a 4xx at once.
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch((error: unknown) => {
      console.error('model-server error:', error);
      const message = error instanceof Error ? error.message : String(error);
      if (!res.headersSent) res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message } }));
    });
  });
  return { baseUrl: `${origin}/v1`, requests, close: () => closeServer(server) };
}

// 'wait' actions delay the answer, then stand for what they wrap.
async function settle(action: ModelAction): Promise<Exclude<ModelAction, { type: 'wait' }>> {
  while (action.type === 'wait') {
    await delay(action.ms);
    action = action.then;
  }
  return action;
}

function outputItem(action: Exclude<ModelAction, { type: 'wait' }>, tools: any[], turn: number): Record<string, unknown> {
  const callId = `call_${turn}`;
  switch (action.type) {
    case 'message':
      return { type: 'message', role: 'assistant', id: `msg_${turn}`, content: [{ type: 'output_text', text: action.text, annotations: [] }] };
    case 'call-mcp-tool':
      return { type: 'function_call', id: `fc_${turn}`, call_id: callId, ...mcpToolCallName(tools, action.server, action.tool), arguments: JSON.stringify(action.args ?? {}) };
    case 'run-shell':
      return { type: 'function_call', id: `fc_${turn}`, call_id: callId, ...shellCall(tools, action.command) };
  }
}

/**
 * How this Codex presents an MCP tool. Both releases group a server's tools in a namespace tool,
 * named `mcp__<server>` by 0.169.0 and `mcp__<server>__` by 0.130.0; a function flattened as
 * `mcp__<server>__<tool>` is accepted too. The call names the tool and its namespace as offered.
 */
export function mcpToolCallName(tools: any[], server: string, tool: string): { name: string; namespace?: string } {
  const namespaces = [`mcp__${server}`, `mcp__${server}__`];
  const grouped = tools.find((t) => t.type === 'namespace' && namespaces.includes(t.name) && t.tools?.some((i: any) => i.name === tool));
  if (grouped) return { name: tool, namespace: grouped.name };
  const flatName = `mcp__${server}__${tool}`;
  if (tools.some((t) => t.name === flatName)) return { name: flatName };
  throw new Error(`model-server: Codex offered no MCP tool ${server}/${tool}; it offered ${describeTools(tools)}`);
}

/** The shell tool's name and argument shape differ between Codex releases. */
function shellCall(tools: any[], command: string[]): { name: string; arguments: string } {
  const names = new Set(tools.map((t) => t.name));
  if (names.has('exec_command')) return { name: 'exec_command', arguments: JSON.stringify({ cmd: shellJoin(command) }) };
  if (names.has('shell_command')) return { name: 'shell_command', arguments: JSON.stringify({ command: shellJoin(command) }) };
  if (names.has('shell')) return { name: 'shell', arguments: JSON.stringify({ command }) };
  throw new Error(`model-server: Codex offered no shell tool; it offered ${describeTools(tools)}`);
}

function describeTools(tools: any[]): string {
  return tools.map((t) => (t.type === 'namespace' ? `${t.name}{${(t.tools ?? []).map((i: any) => i.name).join(',')}}` : t.name)).join(', ');
}

function lastToolOutput(input: any[]): string | undefined {
  const outputs = input.filter((item) => item?.type === 'function_call_output');
  const output = outputs.at(-1)?.output;
  if (output === undefined) return undefined;
  if (typeof output === 'string') return output;
  if (Array.isArray(output)) return output.map((part: any) => part.text ?? '').join('');
  return JSON.stringify(output);
}

function lastUserText(input: any[]): string | undefined {
  const message = input.filter((item) => item?.type === 'message' && item.role === 'user').at(-1);
  if (message === undefined) return undefined;
  if (typeof message.content === 'string') return message.content;
  return (message.content ?? []).map((part: any) => part.text ?? '').join('');
}

function streamResponse(res: ServerResponse, turn: number, item: Record<string, unknown>): void {
  const id = `resp_${turn}`;
  const usage = { input_tokens: 10, input_tokens_details: null, output_tokens: 10, output_tokens_details: null, total_tokens: 20 };
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const send = (type: string, data: Record<string, unknown>) => res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
  send('response.created', { response: { id } });
  send('response.output_item.added', { output_index: 0, item });
  send('response.output_item.done', { output_index: 0, item });
  send('response.completed', { response: { id, usage } });
  res.end();
}

/**
 * Writes `$CODEX_HOME/config.toml` pointing Codex at the fake model service; returns its path.
 * `topToml` holds more top-level keys (they must come before the first table), `extraToml` tables.
 */
export function writeCodexConfig(codexHome: string, input: { modelBaseUrl: string; topToml?: string; extraToml?: string }): string {
  mkdirSync(codexHome, { recursive: true });
  const toml = `model = "fake-model"
model_provider = "fake"
approval_policy = "never"
sandbox_mode = "read-only"
${input.topToml ? `${input.topToml}\n` : ''}
[model_providers.fake]
name = "fake"
base_url = "${input.modelBaseUrl}"
wire_api = "responses"
env_key = "FAKE_API_KEY"
${input.extraToml ? `\n${input.extraToml}\n` : ''}`;
  const path = join(codexHome, 'config.toml');
  writeFileSync(path, toml);
  return path;
}

/** The Codex releases installed as devDependencies: the newest, 0.155.1 (helper, no background server) and 0.130.0 (no helper). */
const CODEX_BINS = {
  latest: '../../node_modules/.bin/codex',
  '0.155': '../../node_modules/codex-0155/bin/codex.js',
  '0.130': '../../node_modules/codex-0130/bin/codex.js',
} as const;

/**
 * Releases the lockfile cannot hold (codex-releases.ts): 0.150.1 runs the helper but refuses the
 * Authorization it returns. A test provides one (`provideCodexRelease`) before asking for it here.
 */
const CACHED_CODEX_RELEASES = { '0.150': '0.150.1' } as const;

export type CodexRelease = keyof typeof CODEX_BINS | keyof typeof CACHED_CODEX_RELEASES;

export function codexBin(version: CodexRelease): string {
  if (version in CACHED_CODEX_RELEASES) return installedCodexRelease(CACHED_CODEX_RELEASES[version as keyof typeof CACHED_CODEX_RELEASES]);
  return fileURLToPath(new URL(CODEX_BINS[version as keyof typeof CODEX_BINS], import.meta.url));
}

export interface CodexRunInput {
  version: 'latest' | '0.130';
  /** A temp dir used as HOME (Codex must never see the real one). */
  home: string;
  codexHome: string;
  prompt: string;
  env?: Record<string, string>;
  timeoutMs?: number;
}
export interface CodexRunResult {
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `codex exec --skip-git-repo-check <prompt>` with an isolated HOME and CODEX_HOME. stdin is
 * closed: with a pipe there, Codex waits to read "additional input" from it.
 */
export async function runCodexExec(input: CodexRunInput): Promise<CodexRunResult> {
  const bin = codexBin(input.version);
  const [command, args] = bin.endsWith('.js') ? [process.execPath, [bin]] : [bin, []];
  const child = spawn(command, [...args, 'exec', '--skip-git-repo-check', input.prompt], {
    cwd: input.home,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH ?? '', HOME: input.home, CODEX_HOME: input.codexHome, FAKE_API_KEY: 'x', ...input.env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), input.timeoutMs ?? 60_000);
  const exitCode = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  }).finally(() => clearTimeout(timer));
  return { exitCode, stdout, stderr };
}

/** Joins a command for a POSIX shell, quoting only what needs it. */
export function shellJoin(command: string[]): string {
  return command.map((arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`)).join(' ');
}
