// `npm run bench`: what codex-auth costs around a launch, measured against the real peers
// (oidc-provider, the SDK MCP server, the headless browser) and the built CLI, in sandboxes
// under the temp dir. Prints a table and saves bench-results/bench-<date>.json.
// Timings are medians; commands being compared run interleaved so that load from other
// processes on the machine falls on all of them alike.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { build as esbuild } from 'esbuild';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startProxy } from '../src/codex/proxy.ts';
import { createHttpClient } from '../src/oauth/http.ts';
import { createRoute } from '../src/session/routes.ts';
import { statePaths } from '../src/store/paths.ts';
import { StateStore } from '../src/store/state.ts';
import { startAuthServer, type AuthServer, type AuthServerOptions } from '../test/peers/auth-server.ts';
import { makeBrowserCommand } from '../test/peers/browser.ts';
import { startMcpServer, type McpServer, type McpServerOptions } from '../test/peers/mcp-server.ts';
import { CLI, ROOT, createSandbox, runCli, type Sandbox } from '../test/e2e/harness.ts';
import { ageStoredToken, forgetLastHandout, helperLine } from '../test/e2e/fixtures.ts';
import { commitServer, trustToml } from '../test/e2e/project-fixtures.ts';
import { serverFileName } from '../src/store/names.ts';

const RUNS = 25;
const REFRESH_RUNS = 20;
const PROXY_REQUESTS = 1000;
const REFRESH_LATENCY_MS = 300;
const FAN_OUT = 8;
const CONCURRENT_LAUNCHES = 20;
/** Access-token lifetimes measured: a short one (Keycloak and many others) and a long one. */
const LIFETIMES = [{ label: '10-minute', seconds: 600 }, { label: '1-hour', seconds: 3600 }] as const;

// ---------------------------------------------------------------- helpers

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

const round = (value: number, digits = 1) => Number(value.toFixed(digits));

interface Timed {
  ms: number;
  code: number;
  stdout: string;
}

/** Wall time from spawn to exit. Asynchronous, so the peers in this process keep answering. */
function timeCommand(command: string[], env: NodeJS.ProcessEnv, cwd?: string): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(command[0]!, command.slice(1), { env, stdio: ['ignore', 'pipe', 'inherit'], ...(cwd ? { cwd } : {}) });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ ms: Number(process.hrtime.bigint() - started) / 1e6, code: code ?? 1, stdout }));
  });
}

/** Every file under `dir` with its mtime, to show a hot run wrote nothing. */
function mtimes(paths: string[]): Map<string, number> {
  const seen = new Map<string, number>();
  const visit = (path: string) => {
    const stat = statSync(path);
    if (stat.isDirectory()) for (const entry of readdirSync(path)) visit(join(path, entry));
    else seen.set(path, stat.mtimeMs);
  };
  for (const path of paths) visit(path);
  return seen;
}

function changedFiles(before: Map<string, number>, after: Map<string, number>): string[] {
  const names = new Set([...before.keys(), ...after.keys()]);
  return [...names].filter((name) => before.get(name) !== after.get(name));
}

interface Peers {
  auth: AuthServer;
  authOptions: AuthServerOptions;
  mcps: McpServer[];
  close(): Promise<void>;
}

/** One authorization server and `count` MCP servers, each its own resource. */
async function startPeers(count: number, mcpOptions: Omit<McpServerOptions, 'authServer'> = {}, authExtra: Omit<AuthServerOptions, 'resources'> = {}): Promise<Peers> {
  // Kept by reference inside the peer: latencyMs set later applies from then on.
  const authOptions: AuthServerOptions = { ...authExtra, resources: {} };
  const auth = await startAuthServer(authOptions);
  const mcps: McpServer[] = [];
  for (let i = 0; i < count; i++) {
    const mcp = await startMcpServer({ ...mcpOptions, authServer: { issuer: auth.issuer, jwksUri: auth.jwksUri } });
    authOptions.resources[mcp.resource] = { scope: 'mcp:read mcp:write' };
    mcps.push(mcp);
  }
  return {
    auth,
    authOptions,
    mcps,
    close: async () => {
      for (const mcp of mcps) await mcp.close();
      await auth.close();
    },
  };
}

function configFor(mcps: McpServer[], names: string[]): string {
  const entries = mcps.map((mcp, i) => `[mcp_servers.${names[i]}]\nurl = "${mcp.url}"\n`);
  return ['# bench config', 'model = "gpt-5"', '', ...entries, '[mcp_servers.local]', 'command = "echo"', ''].join('\n');
}

/** A sandbox whose config names the MCP servers, logged in to all of them through the real flow. */
async function loggedInSandbox(peers: Peers, prefix: string): Promise<Sandbox> {
  const sandbox = createSandbox();
  const names = peers.mcps.map((_, i) => (peers.mcps.length === 1 ? prefix : `${prefix}${i + 1}`));
  sandbox.writeConfig(configFor(peers.mcps, names));
  const browser = makeBrowserCommand(sandbox.root);
  const login = await runCli(sandbox, ['login'], { env: { BROWSER: browser }, timeoutMs: 120_000 });
  if (login.code !== 0) throw new Error(`bench: login failed: ${login.stderr}`);
  return sandbox;
}

function peerRequestCount(peers: Peers): number {
  return peers.auth.requests.length + peers.mcps.reduce((sum, mcp) => sum + mcp.requests.length, 0);
}

// ---------------------------------------------------------------- 1. hot path

/**
 * A stand-in for the npm package of the newest Codex: its launcher exits at once, and the
 * package.json beside it says the version, as in the real package. `run -- codex` then takes
 * the path the alias takes for the TUI (version read, wiring checked, nothing added).
 */
function standInCodex(dir: string, version: string): string {
  const pkg = join(dir, 'codex-stand-in', 'node_modules', '@openai', 'codex');
  mkdirSync(join(pkg, 'bin'), { recursive: true });
  writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: '@openai/codex', version }));
  const launcher = join(pkg, 'bin', 'codex.js');
  writeFileSync(launcher, '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  return launcher;
}

interface Timing {
  runs: number;
  medianMs: { nodeE0: number; command: number };
  ratioToNode: number;
  goalRatio?: number;
}

interface TimedCommand {
  command: string[];
  env: NodeJS.ProcessEnv;
  goal?: number;
  /** The directory it runs in (the header helper's is the thread's); default: the bench's own. */
  cwd?: string;
}

/**
 * The commands and `node -e 0`, timed in turn for RUNS rounds, so each ratio is against a
 * baseline measured in the same moments; with the network requests and file writes they caused.
 */
async function benchAgainstNode<K extends string>(peers: Peers, sandbox: Sandbox, commands: Record<K, TimedCommand>, between?: () => void) {
  const entries = Object.entries(commands) as Array<[K, TimedCommand]>;
  // One run each first: a stale or lost rewrite would be repaired here, not during the timing.
  for (const [, { command, env, cwd }] of entries) {
    if ((await timeCommand(command, env, cwd)).code !== 0) throw new Error(`bench: ${command.join(' ')} failed`);
  }
  const watched = [sandbox.stateDir, sandbox.configPath];
  const filesBefore = mtimes(watched);
  const requestsBefore = peerRequestCount(peers);
  const nodeTimes: number[] = [];
  const times = new Map<K, number[]>(entries.map(([name]) => [name, []]));
  for (let i = 0; i < RUNS; i++) {
    nodeTimes.push((await timeCommand([process.execPath, '-e', '0'], sandbox.env)).ms);
    for (const [name, { command, env, cwd }] of entries) {
      between?.();
      const timed = await timeCommand(command, env, cwd);
      if (timed.code !== 0) throw new Error(`bench: ${command.join(' ')} exited ${timed.code}`);
      times.get(name)!.push(timed.ms);
    }
  }
  const node = median(nodeTimes);
  const timings = Object.fromEntries(entries.map(([name, { goal }]): [K, Timing] => {
    const measured = median(times.get(name)!);
    return [name, { runs: RUNS, medianMs: { nodeE0: round(node), command: round(measured) }, ratioToNode: round(measured / node, 2), ...(goal ? { goalRatio: goal } : {}) }];
  })) as Record<K, Timing>;
  return {
    timings,
    networkRequests: peerRequestCount(peers) - requestsBefore,
    filesWritten: changedFiles(filesBefore, mtimes(watched)).map((file) => file.replace(sandbox.root, '<sandbox>')),
  };
}

/**
 * What any Node program in the hot paths' place costs before it does work of its own: starting on
 * an ES module file rather than `-e`, spawning and reaping a child, and doing that with execa
 * bundled the way codex-auth bundles it. docs/performance.md explains the hot paths' figures against these.
 */
async function floorCommands(dir: string): Promise<Record<'esModuleFile' | 'spawnTrue' | 'execaTrue', string[]>> {
  const empty = join(dir, 'empty.mjs');
  writeFileSync(empty, '');
  const execaEntry = join(dir, 'execa-true.mjs');
  writeFileSync(execaEntry, "import { execa } from 'execa';\nawait execa('/bin/true', { stdio: 'inherit' });\n");
  const execaBundle = join(dir, 'execa-true.bundle.mjs');
  await esbuild({
    entryPoints: [execaEntry],
    outfile: execaBundle,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20.19',
    nodePaths: [join(ROOT, 'node_modules')],
    logLevel: 'warning',
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  });
  return {
    esModuleFile: [process.execPath, empty],
    spawnTrue: [process.execPath, '-e', "require('node:child_process').spawnSync('/bin/true', { stdio: 'inherit' })"],
    execaTrue: [process.execPath, execaBundle],
  };
}

async function benchHotPaths(lifetimeSeconds: number) {
  const peers = await startPeers(1, {}, { accessTokenTtlSeconds: lifetimeSeconds });
  try {
    const sandbox = await loggedInSandbox(peers, 'demo');
    const env = sandbox.env;
    const floors = await floorCommands(sandbox.root);
    const launches = await benchAgainstNode(peers, sandbox, {
      esModuleFile: { command: floors.esModuleFile, env },
      spawnTrue: { command: floors.spawnTrue, env },
      execaTrue: { command: floors.execaTrue, env },
      runTrue: { command: [process.execPath, CLI, 'run', '--', '/bin/true'], env, goal: 1.3 },
      runCodex: { command: [process.execPath, CLI, 'run', '--', 'codex'], env: { ...env, CODEX_AUTH_CODEX_BIN: standInCodex(sandbox.root, '0.171.0') }, goal: 1.3 },
    });
    const helper = ['sh', '-c', `exec ${helperLine(sandbox)}`];
    // A new thread: the helper last handed the token out longer ago than its retry window
    // (config.toml unchanged, so the url it checked last time stands).
    const helperNewThread = await benchAgainstNode(peers, sandbox, { helper: { command: helper, env, goal: 1.2 } }, () => forgetLastHandout(sandbox));
    // Asked again within the retry window: it checks the token with the server first.
    const helperRepeat = await benchAgainstNode(peers, sandbox, { helper: { command: helper, env, goal: 1.2 } });
    sandbox.cleanup();
    return { lifetimeSeconds, launches, helperNewThread, helperRepeat };
  } finally {
    await peers.close();
  }
}

// ---------------------------------------------------------------- 1b. concurrent start

/** `count` launches at once on an expired token: refresh requests at the authorization server, and the chain after. */
async function benchConcurrentStart(lifetimeSeconds: number) {
  const peers = await startPeers(1, {}, { accessTokenTtlSeconds: lifetimeSeconds, rotateRefreshTokens: true });
  try {
    const sandbox = await loggedInSandbox(peers, 'demo');
    ageStoredToken(sandbox, -60_000);
    const refreshes = () => peers.auth.tokenRequests('refresh_token');
    const runs = await Promise.all(Array.from({ length: CONCURRENT_LAUNCHES }, () => timeCommand([process.execPath, CLI, 'run', '--', '/bin/true'], sandbox.env)));
    if (runs.some((run) => run.code !== 0)) throw new Error('bench: a concurrent launch failed');
    const burst = refreshes().length;
    // The chain is alive if the refresh token left behind still works.
    ageStoredToken(sandbox, -60_000);
    const after = await timeCommand([process.execPath, CLI, 'run', '--', '/bin/true'], sandbox.env);
    const chainAlive = after.code === 0 && refreshes().length === burst + 1 && refreshes().every((request) => request.status === 200);
    sandbox.cleanup();
    return { lifetimeSeconds, launches: CONCURRENT_LAUNCHES, refreshRequests: burst, goal: 1, chainAlive };
  } finally {
    await peers.close();
  }
}

// ---------------------------------------------------------------- 1c. header helper in a project

/** Drops the helper's remembered url (and its footprint of the project layers): the next call reads the config files. */
function forgetCheckedConfig(sandbox: Sandbox, name = 'demo'): void {
  const file = join(sandbox.stateDir, 'handouts', `${serverFileName(name)}.json`);
  const { config: _checked, ...rest } = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  writeFileSync(file, JSON.stringify(rest));
}

/**
 * The header helper for a new thread in a trusted project whose `.codex/config.toml` defines the
 * same server (three directories deep in it), against the same helper in a directory that is no
 * project: what following the project layers costs. Each directory is its own series, since the
 * helper remembers one directory's answer at a time; and the project once more with the config
 * read on every call, what the first thread after an edit pays.
 */
async function benchProjectHelper() {
  const peers = await startPeers(1);
  try {
    const sandbox = await loggedInSandbox(peers, 'demo');
    const project = commitServer(join(sandbox.root, 'repo'), peers.mcps[0]!.url);
    const deep = join(project.dir, 'src', 'deep');
    mkdirSync(deep, { recursive: true });
    sandbox.writeConfig(`${sandbox.readConfig()}\n${trustToml(project.dir)}`);
    const helper = { command: ['sh', '-c', `exec ${helperLine(sandbox)}`], env: sandbox.env };
    const newThread = () => forgetLastHandout(sandbox);
    const outside = await benchAgainstNode(peers, sandbox, { helper: { ...helper, cwd: sandbox.root } }, newThread);
    const inProject = await benchAgainstNode(peers, sandbox, { helper: { ...helper, cwd: deep } }, newThread);
    const reading = await benchAgainstNode(peers, sandbox, { helper: { ...helper, cwd: deep } }, () => {
      newThread();
      forgetCheckedConfig(sandbox);
    });
    sandbox.cleanup();
    const [a, b, c] = [outside.timings.helper, inProject.timings.helper, reading.timings.helper];
    return { outside: a, inProject: b, inProjectReadingConfig: c, projectOverOutside: round(b.ratioToNode / a.ratioToNode, 2), networkRequests: outside.networkRequests + inProject.networkRequests + reading.networkRequests };
  } finally {
    await peers.close();
  }
}

function projectHelperRows(result: Awaited<ReturnType<typeof benchProjectHelper>>): Array<[string, string, string, string]> {
  return [
    ratioRow('header helper, new thread, outside any project', result.outside),
    ratioRow('header helper, new thread, in a trusted project (3 levels deep)', result.inProject),
    ratioRow('header helper in the project, config read on every call (first thread after an edit)', result.inProjectReadingConfig),
    ['  in the project / outside (ratios to node)', `${result.projectOverOutside}x`, '<= 1.05x', verdict(result.projectOverOutside <= 1.05)],
    ['  network requests in those helper calls', `${result.networkRequests}`, '0', verdict(result.networkRequests === 0)],
  ];
}

// ---------------------------------------------------------------- 2. refresh fan-out

async function benchRefreshFanOut() {
  const single = await startPeers(1);
  const many = await startPeers(FAN_OUT);
  try {
    const oneSandbox = await loggedInSandbox(single, 'one');
    const manySandbox = await loggedInSandbox(many, 'fan');
    single.authOptions.latencyMs = REFRESH_LATENCY_MS;
    many.authOptions.latencyMs = REFRESH_LATENCY_MS;
    const command = [process.execPath, CLI, 'run', '--', '/bin/true'];
    const expireAll = (sandbox: Sandbox, count: number, prefix: string) => {
      for (let i = 1; i <= count; i++) ageStoredToken(sandbox, -60_000, count === 1 ? prefix : `${prefix}${i}`);
    };
    const oneTimes: number[] = [];
    const manyTimes: number[] = [];
    for (let i = 0; i < REFRESH_RUNS; i++) {
      // Every token expired before each run, so each run refreshes every server.
      expireAll(oneSandbox, 1, 'one');
      expireAll(manySandbox, FAN_OUT, 'fan');
      const one = await timeCommand(command, oneSandbox.env);
      const fan = await timeCommand(command, manySandbox.env);
      if (one.code !== 0 || fan.code !== 0) throw new Error('bench: a refresh run failed');
      oneTimes.push(one.ms);
      manyTimes.push(fan.ms);
    }
    const refreshes = (peers: Peers) => peers.auth.tokenRequests('refresh_token').length;
    const oneMs = median(oneTimes);
    const manyMs = median(manyTimes);
    oneSandbox.cleanup();
    manySandbox.cleanup();
    return {
      runs: REFRESH_RUNS,
      latencyMsPerRequest: REFRESH_LATENCY_MS,
      servers: FAN_OUT,
      medianMs: { oneServer: round(oneMs), fanOut: round(manyMs) },
      refreshRequests: { oneServer: refreshes(single), fanOut: refreshes(many), expected: { oneServer: REFRESH_RUNS, fanOut: REFRESH_RUNS * FAN_OUT } },
      ratio: round(manyMs / oneMs, 2),
      goalRatio: 1.3,
    };
  } finally {
    await single.close();
    await many.close();
  }
}

// ---------------------------------------------------------------- 3. first login

interface LoginLayout {
  title: string;
  mcp: Omit<McpServerOptions, 'authServer'>;
  auth: Omit<AuthServerOptions, 'resources'>;
  /** The fewest requests the spec's discovery order allows for this layout, step by step. */
  minimum: Record<string, number>;
}

const LOGIN_LAYOUTS: LoginLayout[] = [
  {
    title: 'challenge names the metadata; RFC 8414 metadata at the first place looked',
    mcp: {},
    auth: {},
    minimum: { probe: 1, 'protected-resource metadata': 1, 'authorization-server metadata': 1, registration: 1, 'token exchange': 1 },
  },
  {
    title: 'no resource_metadata in the challenge, metadata only at the root; issuer with a path, OIDC discovery only (path appended)',
    mcp: { prmAt: ['root'] },
    auth: { issuerPath: '/tenant1', metadataForms: ['oidc-append'] },
    // PRM: path-aware well-known (404), then root. AS: RFC 8414 insert (404), OIDC insert (404), OIDC append.
    minimum: { probe: 1, 'protected-resource metadata': 2, 'authorization-server metadata': 3, registration: 1, 'token exchange': 1 },
  },
];

/** The browser's own requests to the authorization server (authorization endpoint, interaction pages). */
function isBrowserRequest(path: string, issuerPath: string): boolean {
  return path.startsWith(`${issuerPath}/auth`) || path.startsWith(`${issuerPath}/interaction/`);
}

async function benchFirstLogin(layout: LoginLayout) {
  const peers = await startPeers(1, layout.mcp, layout.auth);
  const sandbox = createSandbox();
  try {
    sandbox.writeConfig(configFor(peers.mcps, ['demo']));
    const login = await runCli(sandbox, ['login', 'demo'], { env: { BROWSER: makeBrowserCommand(sandbox.root) } });
    if (login.code !== 0) throw new Error(`bench: login failed: ${login.stderr}`);
    const issuerPath = new URL(peers.auth.issuer).pathname.replace(/\/$/, '');
    const mcp = peers.mcps[0]!;
    const asRequests = peers.auth.requests
      .filter((request) => !isBrowserRequest(request.path, issuerPath))
      // The MCP server's own key fetch is not the client's request.
      .filter((request) => request.path !== `${issuerPath}/jwks`)
      .map((request) => `${request.method} ${peers.auth.origin}${request.path}${request.form?.grant_type ? ` grant_type=${request.form.grant_type[0]}` : ''} -> ${request.status}`);
    const mcpRequests = mcp.requests.map((request) => `${request.method} ${mcp.origin}${request.path}${request.rpcMethod ? ` ${request.rpcMethod}` : ''} -> ${request.status}`);
    const requests = [...mcpRequests, ...asRequests];
    const duplicates = requests.filter((request, index) => requests.indexOf(request) !== index);
    const minimum = Object.values(layout.minimum).reduce((sum, count) => sum + count, 0);
    return { layout: layout.title, requests: requests.length, minimum, minimumBySteps: layout.minimum, duplicates, trail: requests };
  } finally {
    sandbox.cleanup();
    await peers.close();
  }
}

// ---------------------------------------------------------------- 4. peak memory

/** A stand-in for codex: prints its parent's (the wrapper's) RSS high-water mark, in kB. */
function writeHwmProbe(dir: string): string {
  const probe = join(dir, 'print-parent-hwm');
  writeFileSync(probe, '#!/bin/sh\nsed -n "s/^VmHWM:[^0-9]*\\([0-9]*\\).*/\\1/p" /proc/$PPID/status\n', { mode: 0o755 });
  return probe;
}

async function benchMemory(sandbox: Sandbox) {
  const probe = writeHwmProbe(sandbox.root);
  const direct: number[] = [];
  const proxied: number[] = [];
  const node: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const plain = await timeCommand([process.execPath, CLI, 'run', '--', probe], sandbox.env);
    // With the probe as the real codex, `run -- codex` starts the session proxy first.
    const viaProxy = await timeCommand([process.execPath, CLI, 'run', '--', 'codex'], { ...sandbox.env, CODEX_AUTH_CODEX_BIN: probe });
    const bare = await timeCommand([process.execPath, '-e', 'console.log(process.resourceUsage().maxRSS)'], sandbox.env);
    direct.push(Number(plain.stdout.trim()));
    proxied.push(Number(viaProxy.stdout.trim()));
    node.push(Number(bare.stdout.trim()));
  }
  if ([...direct, ...proxied, ...node].some((value) => !Number.isFinite(value) || value <= 0)) throw new Error('bench: could not read VmHWM');
  const mb = (kb: number) => round(kb / 1024, 1);
  return { runs: RUNS, medianMB: { nodeE0: mb(median(node)), run: mb(median(direct)), runWithProxy: mb(median(proxied)) } };
}

// ---------------------------------------------------------------- 5. proxy overhead

async function connectedClient(url: string, token: string): Promise<Client> {
  const client = new Client({ name: 'codex-auth-bench', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
  return client;
}

async function timePing(client: Client): Promise<number> {
  const started = process.hrtime.bigint();
  await client.ping();
  return Number(process.hrtime.bigint() - started) / 1e6;
}

async function benchProxy(peers: Peers, sandbox: Sandbox) {
  const paths = statePaths(sandbox.stateDir);
  const store = new StateStore(paths);
  const mcp = peers.mcps[0]!;
  const grant = store.server('demo').grant;
  if (!grant) throw new Error('bench: no grant for the proxy');
  const route = createRoute({ store, paths, http: createHttpClient(), now: Date.now, warn: (message) => console.error(message) }, 'demo', mcp.url);
  const secret = 'bench-proxy-secret-0123456789abcdef';
  const proxy = await startProxy({ routes: [route], secret });
  const direct = await connectedClient(mcp.url, grant.tokens.accessToken);
  const proxied = await connectedClient(proxy.urlFor('demo'), secret);
  try {
    const directTimes: number[] = [];
    const proxiedTimes: number[] = [];
    for (let i = 0; i < PROXY_REQUESTS; i++) {
      directTimes.push(await timePing(direct));
      proxiedTimes.push(await timePing(proxied));
    }
    const directMs = median(directTimes);
    const proxiedMs = median(proxiedTimes);
    return {
      requests: PROXY_REQUESTS,
      request: 'MCP ping over an initialized Streamable HTTP session (SDK client and server)',
      medianMs: { direct: round(directMs, 3), throughProxy: round(proxiedMs, 3) },
      addedMsPerRequest: round(proxiedMs - directMs, 3),
      goalAddedMs: 1,
    };
  } finally {
    await direct.close();
    await proxied.close();
    await proxy.close();
  }
}

// ---------------------------------------------------------------- report

function table(rows: Array<[string, string, string, string]>): string {
  const widths = [0, 1, 2, 3].map((column) => Math.max(...rows.map((row) => row[column]!.length)));
  const line = (row: string[]) => `| ${row.map((cell, i) => cell.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(rows[0]!), line(widths.map((width) => '-'.repeat(width))), ...rows.slice(1).map(line)].join('\n');
}

const verdict = (ok: boolean) => (ok ? 'met' : 'MISSED');

/** A timing against `node -e 0`; without a goal it is a reference (a floor), not a verdict. */
function ratioRow(title: string, result: { runs: number; medianMs: { nodeE0: number; command: number }; ratioToNode: number; goalRatio?: number }): [string, string, string, string] {
  const goal = result.goalRatio;
  return [
    `${title} vs node -e 0 (median of ${result.runs})`,
    `${result.medianMs.command} ms vs ${result.medianMs.nodeE0} ms = ${result.ratioToNode}x`,
    goal === undefined ? '-' : `<= ${goal}x`,
    goal === undefined ? '-' : verdict(result.ratioToNode <= goal),
  ];
}

async function main() {
  const build = await timeCommand([process.execPath, join(ROOT, 'scripts', 'build.mjs')], process.env);
  if (build.code !== 0) throw new Error('bench: build failed');
  if (process.argv.includes('--project-helper')) {
    // Only this case (`npm run bench -- --project-helper`): the whole bench takes minutes.
    console.error('bench: header helper in a project and outside…');
    console.log(table([['measure', 'result', 'goal', 'verdict'], ...projectHelperRows(await benchProjectHelper())]));
    return;
  }

  const hot = [];
  const concurrent = [];
  for (const lifetime of LIFETIMES) {
    console.error(`bench: hot paths with ${lifetime.label} tokens (one real login first)…`);
    hot.push({ label: lifetime.label, ...(await benchHotPaths(lifetime.seconds)) });
  }
  for (const seconds of [600, 60]) {
    console.error(`bench: ${CONCURRENT_LAUNCHES} concurrent launches on an expired token, ${seconds} s tokens…`);
    concurrent.push(await benchConcurrentStart(seconds));
  }
  console.error('bench: header helper in a project and outside…');
  const projectHelper = await benchProjectHelper();
  console.error('bench: memory and proxy…');
  const demo = await startPeers(1);
  let memory, proxy;
  try {
    const sandbox = await loggedInSandbox(demo, 'demo');
    memory = await benchMemory(sandbox);
    proxy = await benchProxy(demo, sandbox);
    sandbox.cleanup();
  } finally {
    await demo.close();
  }
  console.error(`bench: refresh fan-out (${FAN_OUT} servers, ${REFRESH_LATENCY_MS} ms per request at the authorization server)…`);
  const fanOut = await benchRefreshFanOut();
  console.error('bench: first-login request counts…');
  const logins = [];
  for (const layout of LOGIN_LAYOUTS) logins.push(await benchFirstLogin(layout));

  const results = {
    date: new Date().toISOString(),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    cpus: (await import('node:os')).availableParallelism(),
    hotPaths: hot,
    projectHelper,
    concurrentStart: concurrent,
    refreshFanOut: fanOut,
    firstLogin: logins,
    memory,
    proxy,
  };
  const rows: Array<[string, string, string, string]> = [
    ['measure', 'result', 'goal', 'verdict'],
    ...hot.flatMap(({ label, launches, helperNewThread, helperRepeat }): Array<[string, string, string, string]> => [
      ratioRow(`${label} tokens, floor: node on an empty ES module file`, launches.timings.esModuleFile),
      ratioRow(`${label} tokens, floor: node spawning /bin/true (child_process)`, launches.timings.spawnTrue),
      ratioRow(`${label} tokens, floor: node running /bin/true through execa, bundled`, launches.timings.execaTrue),
      ratioRow(`${label} tokens: run -- true`, launches.timings.runTrue),
      ratioRow(`${label} tokens: run -- codex (TUI path, helper-wired)`, launches.timings.runCodex),
      ['  network requests / files written in those runs', `${launches.networkRequests} / ${launches.filesWritten.length}`, '0 / 0', verdict(launches.networkRequests === 0 && launches.filesWritten.length === 0)],
      ratioRow(`${label} tokens: header helper, new thread`, helperNewThread.timings.helper),
      ratioRow(`${label} tokens: header helper, asked again within a minute (checks the token)`, helperRepeat.timings.helper),
      ['  network requests in those helper calls (new thread / again)', `${helperNewThread.networkRequests} / ${helperRepeat.networkRequests}`, `0 / ${RUNS}`, verdict(helperNewThread.networkRequests === 0 && helperRepeat.networkRequests === RUNS)],
    ]),
    ...projectHelperRows(projectHelper),
    ...concurrent.map((result): [string, string, string, string] => [
      `${result.launches} concurrent launches, expired token, ${result.lifetimeSeconds} s tokens: refresh requests (chain alive after)`,
      `${result.refreshRequests} (${result.chainAlive ? 'alive' : 'BROKEN'})`,
      '1 (alive)',
      verdict(result.refreshRequests === 1 && result.chainAlive),
    ]),
    [
      `refresh fan-out: ${FAN_OUT} servers vs 1 (${REFRESH_LATENCY_MS} ms latency, median of ${fanOut.runs})`,
      `${fanOut.medianMs.fanOut} ms vs ${fanOut.medianMs.oneServer} ms = ${fanOut.ratio}x`,
      '<= 1.3x',
      verdict(fanOut.ratio <= 1.3),
    ],
    ...logins.map((login, i): [string, string, string, string] => [
      `first login ${i + 1}: client requests (duplicates)`,
      `${login.requests} (${login.duplicates.length})`,
      `= ${login.minimum} (0)`,
      verdict(login.requests === login.minimum && login.duplicates.length === 0),
    ]),
    [`peak RSS of the wrapper while the child runs (median of ${memory.runs})`, `${memory.medianMB.run} MB; ${memory.medianMB.runWithProxy} MB with the proxy (node -e 0: ${memory.medianMB.nodeE0} MB)`, '-', '-'],
    [`proxy: added per request (median of ${proxy.requests})`, `${proxy.addedMsPerRequest} ms (${proxy.medianMs.direct} direct, ${proxy.medianMs.throughProxy} via proxy)`, '<= 1 ms', verdict(proxy.addedMsPerRequest <= 1)],
  ];
  console.log(table(rows));
  for (const [i, login] of logins.entries()) {
    console.log(`\nfirst login ${i + 1}: ${login.layout}\n  ${login.trail.join('\n  ')}`);
  }
  const dir = join(ROOT, 'bench-results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `bench-${results.date.slice(0, 19).replaceAll(':', '-')}.json`);
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`\nsaved ${file}`);
}

await main();
