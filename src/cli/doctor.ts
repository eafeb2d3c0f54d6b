// `codex-auth doctor [name] [--json]`: discovery without logging in, step by
// step, with every URL tried and its answer. What a user runs when a server
// will not log in; nothing is stored and no client is registered.
import { readCodexConfig, findServer, resolveHeaders, type McpServerEntry } from '../codex/config.ts';
import { withLayers } from '../codex/layers.ts';
import { probe, type ProbeResult } from '../oauth/challenge.ts';
import { discoverAuthorizationServer, discoverProtectedResource, type ProtectedResourceInfo } from '../oauth/discovery.ts';
import { DEFAULT_CLIENT_NAME } from '../oauth/flow.ts';
import { bodyExcerpt, describeNetworkError, redactUrl } from '../oauth/http.ts';
import { httpClientFor } from './http-client.ts';
import { selectResource } from '../oauth/resource.ts';
import { selectScopes } from '../oauth/scopes.ts';
import type { AuthorizationServer } from 'oauth4webapi';
import { shellCommand } from '../shell.ts';
import { batchExitCode, describeFailure, printSummary, type ServerFailure } from './batch.ts';
import type { CliContext } from './context.ts';
import type { Step } from '../errors.ts';
import { collectStatus, describeCredentials, type StatusReport } from './status.ts';
import { grantTypeOf } from '../oauth/unattended.ts';

export interface DoctorStep {
  step: string;
  ok: boolean;
  detail: Record<string, unknown>;
}

export interface DoctorReport {
  server: string;
  url: string;
  ok: boolean;
  requests: Array<{ method: string; url: string; status: number | string; answer?: string }>;
  steps: DoctorStep[];
  error?: { step: string; message: string; serverSaid?: string; hint?: string };
}

/** The start of an error answer, read from a copy so the engine still gets the whole body. */
async function answerOf(response: Response): Promise<string | undefined> {
  if (response.status < 400 || !response.body) return undefined;
  const reader = response.clone().body!.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < 4096) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } catch {
    // A broken body shows as what arrived.
  } finally {
    void reader.cancel().catch(() => undefined);
  }
  return bodyExcerpt(Buffer.concat(chunks).toString('utf8')) || undefined;
}

function recordingFetch(inner: typeof fetch, requests: DoctorReport['requests']): typeof fetch {
  return async (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    const method = init?.method ?? (input instanceof Request ? input.method : 'GET');
    try {
      const response = await inner(input, init);
      const answer = await answerOf(response);
      requests.push({ method, url: redactUrl(url), status: response.status, ...(answer ? { answer } : {}) });
      return response;
    } catch (error) {
      requests.push({ method, url: redactUrl(url), status: describeNetworkError(error) });
      throw error;
    }
  };
}

function describeAuthorizationServer(as: AuthorizationServer): Record<string, unknown> {
  const methods = as.code_challenge_methods_supported ?? [];
  return {
    issuer: as.issuer,
    authorization_endpoint: as.authorization_endpoint,
    token_endpoint: as.token_endpoint,
    pkce_s256: methods.includes('S256'),
    code_challenge_methods_supported: methods,
    registration_endpoint: as.registration_endpoint ?? null,
    client_id_metadata_document_supported: as.client_id_metadata_document_supported ?? false,
    authorization_response_iss_parameter_supported: as.authorization_response_iss_parameter_supported ?? false,
    scopes_supported: as.scopes_supported ?? null,
    token_endpoint_auth_methods_supported: as.token_endpoint_auth_methods_supported ?? null,
    grant_types_supported: as.grant_types_supported ?? null,
    revocation_endpoint: as.revocation_endpoint ?? null,
    device_authorization_endpoint: as.device_authorization_endpoint ?? null,
  };
}

/** How login would identify itself; a registration also names the client_name it sends. */
function clientPlan(entry: McpServerEntry, as: AuthorizationServer, env: NodeJS.ProcessEnv, clientName: string): { client: string; client_name?: string } {
  if (entry.clientId) return { client: `pre-registered client ${entry.clientId} from config.toml` };
  if (as.client_id_metadata_document_supported && env.CODEX_AUTH_CLIENT_METADATA_URL) return { client: `client metadata document ${env.CODEX_AUTH_CLIENT_METADATA_URL}` };
  if (as.registration_endpoint) return { client: `dynamic registration at ${as.registration_endpoint}`, client_name: clientName };
  return { client: 'none available: pass --client-id (and --client-secret-env) to codex-auth login' };
}

async function diagnose(ctx: CliContext, entry: McpServerEntry, report: DoctorReport): Promise<void> {
  const http = httpClientFor(ctx, resolveHeaders(entry, ctx.env), recordingFetch(ctx.fetch, report.requests));
  const mcpUrl = new URL(entry.url!);
  // The report is printed once it is complete: until then these lines (on stderr) show where a slow network is.
  const progress = (step: Step, detail: string) => ctx.out.progress(entry.name, step, detail);
  progress('probe', redactUrl(mcpUrl.href));
  const challenge: ProbeResult = await probe(mcpUrl, http);
  progress('resource-metadata', challenge.resourceMetadataUrl ?? `well-known locations of ${mcpUrl.origin}`);
  report.steps.push({ step: 'probe', ok: true, detail: { ...challenge } });
  const prm: ProtectedResourceInfo | undefined = await discoverProtectedResource(mcpUrl, challenge, http);
  if (!challenge.needsAuthorization && !prm) {
    report.steps.push({ step: 'resource-metadata', ok: true, detail: { found: false, conclusion: 'no authorization needed: the server answered without a token and publishes no resource metadata' } });
    return;
  }
  report.steps.push({
    step: 'resource-metadata',
    ok: true,
    detail: {
      ...(prm ? { metadataUrl: prm.metadataUrl, resource: prm.resource, authorization_servers: prm.authorizationServers, scopes_supported: prm.scopesSupported ?? null } : { found: false, fallback: `treating ${mcpUrl.origin} as the authorization server (2025-03-26)` }),
      ...(challenge.needsAuthorization ? {} : { note: 'the first request needed no token, but the server publishes resource metadata: it challenges later requests, so log in' }),
    },
  });
  const issuer = prm?.authorizationServers[0] ?? mcpUrl.origin;
  // Read without creating anything: doctor leaves no trace.
  const stored = ctx.store.knownServers().find((state) => state.serverName === entry.name);
  const storedGrant = stored?.grant;
  const unattended = storedGrant && storedGrant.mcpUrl === entry.url && storedGrant.unattended ? storedGrant : undefined;
  progress('authorization-server-metadata', issuer);
  const as = await discoverAuthorizationServer(issuer, http, unattended ? 'unattended' : 'person');
  report.steps.push({ step: 'authorization-server-metadata', ok: true, detail: describeAuthorizationServer(as) });
  const resource = selectResource({ mcpUrl, ...(entry.oauthResource ? { override: entry.oauthResource } : {}), ...(prm ? { protectedResource: prm } : {}) });
  const scopes = selectScopes({ authorizationServer: as, ...(entry.scopes ? { explicit: entry.scopes } : {}), ...(challenge.scopes ? { challenge: challenge.scopes } : {}), ...(prm ? { protectedResource: prm } : {}) });
  if (unattended?.unattended) {
    const { grant } = unattended.unattended;
    const offered = as.grant_types_supported === undefined || as.grant_types_supported.includes(grantTypeOf(grant));
    const plan = { resource, scope: unattended.scopesRequested?.join(' ') ?? '(omitted)', grant, client: describeCredentials(unattended) };
    report.steps.push({ step: 'plan', ok: offered, detail: offered ? plan : { ...plan, problem: `the server no longer lists ${grantTypeOf(grant)} in grant_types_supported` } });
    return;
  }
  const clientName = stored?.clientName ?? DEFAULT_CLIENT_NAME;
  report.steps.push({ step: 'plan', ok: true, detail: { resource, scope: scopes?.join(' ') ?? '(omitted)', ...clientPlan(entry, as, ctx.env, clientName), pkce: 'S256' } });
}

function printHuman(ctx: CliContext, report: DoctorReport): void {
  const { out } = ctx;
  const { color } = out;
  out.print(`${color.bold(report.server)}${report.url ? ` ${report.url}` : ''}`);
  for (const request of report.requests) {
    out.print(`  ${color.dim(request.method.padEnd(4))} ${request.url} ${color.dim('->')} ${request.status}`);
    if (request.answer) out.print(`       ${color.dim('answer:')} ${request.answer}`);
  }
  const printStep = (step: DoctorStep) => {
    out.print(`${step.ok ? color.green('✓') : color.yellow('!')} ${step.step}`);
    for (const [key, value] of Object.entries(step.detail)) {
      if (value === undefined) continue;
      // Problems are sentences with commands in them: one a line, not inside JSON quotes.
      if (key === 'problems' && Array.isArray(value)) {
        out.print(`    ${key}:`);
        for (const problem of value) out.print(`      - ${String(problem)}`);
      } else out.print(`    ${key}: ${typeof value === 'string' ? value : JSON.stringify(value)}`);
    }
  };
  // In the order things happened: the discovery steps, where discovery stopped, then how Codex gets the token.
  for (const step of report.steps.filter((candidate) => candidate.step !== 'codex')) printStep(step);
  if (report.error) {
    out.print(`${color.red('✗')} ${report.error.step}: ${report.error.message}`);
    if (report.error.serverSaid) out.print(`    server said: ${report.error.serverSaid}`);
    if (report.error.hint) out.print(`    next: ${report.error.hint}`);
  }
  for (const step of report.steps.filter((candidate) => candidate.step === 'codex')) printStep(step);
}

/** How Codex gets the server's token here, and what stands in its way (doctor's last step). */
function codexStep(status: StatusReport, name: string): DoctorStep {
  const server = status.servers.find((candidate) => candidate.name === name);
  const { codex } = status;
  const stale = codex.backgroundServer?.staleVariables ?? [];
  const problems = [
    ...(server?.rewritten ? [] : [`the entry is not wired to codex-auth: run ${shellCommand(['codex-auth', 'login', name])}`]),
    ...(server?.wiring === 'environment' && codex.runsHelper ? [`codex ${codex.version ?? ''} can run the helper, but the entry still reads a variable that only codex-auth run provides: run ${shellCommand(['codex-auth', 'login'])} to switch it`] : []),
    ...(server?.wiring === 'helper' && codex.refusesHelper ? [`codex ${codex.version ?? ''} runs the helper but refuses the Authorization it returns: start it through ${shellCommand(['codex-auth', 'run', '--', 'codex'])} (or the alias), which swaps the helper out for that launch`] : []),
    ...(server?.helperElsewhere ? [`config.toml runs the helper with another node or codex-auth than this one: run ${shellCommand(['codex-auth', 'login'])} to rewrite the line`] : []),
    ...(server?.helperFailure ? [`the helper last failed at ${server.helperFailure.at}: ${server.helperFailure.message}`] : []),
    ...(stale.length > 0 ? [`Codex's background server (pid ${codex.backgroundServer!.pid}) holds ${stale.join(', ')} from an older setup: run codex app-server daemon restart`] : []),
  ];
  return {
    step: 'codex',
    ok: problems.length === 0,
    detail: {
      wiring: server?.wiring ?? 'none',
      ...(server?.wiredFor ? { wiredFor: server.wiredFor } : {}),
      codex: codex.path ? `${codex.version ?? 'unknown version'} at ${codex.path}` : 'not found on PATH',
      codexRunsHelper: codex.runsHelper,
      backgroundServer: codex.backgroundServer ? `running (pid ${codex.backgroundServer.pid})` : 'not running',
      ...(problems.length > 0 ? { problems } : {}),
    },
  };
}

export async function runDoctor(ctx: CliContext, options: { names: string[]; json: boolean }): Promise<number> {
  const user = readCodexConfig(ctx.configPath);
  // The entries Codex uses from here, a trusted project's included.
  const config = withLayers(user, process.cwd());
  const status = collectStatus(ctx);
  const remote = config.servers.filter((entry) => entry.kind === 'remote');
  // As login without names: an entry Codex does not start is not checked unless named.
  const disabled = options.names.length > 0 ? [] : remote.filter((entry) => !entry.enabled).map((entry) => entry.name);
  for (const name of disabled) ctx.out.info(`${ctx.out.color.dim('-')} ${name}: disabled in config.toml (enabled = false), skipped; check it with ${shellCommand(['codex-auth', 'doctor', name])}`);
  const names = options.names.length > 0 ? options.names : remote.filter((entry) => entry.enabled).map((entry) => entry.name);
  if (names.length === 0 && disabled.length === 0) ctx.out.info(`No remote MCP servers in ${config.path}: nothing to check. Add one with: codex mcp add <name> --url <url>`);
  const reports: DoctorReport[] = [];
  const outcomes: Array<DoctorReport | ServerFailure> = [];
  for (const name of names) {
    const report: DoctorReport = { server: name, url: '', ok: true, requests: [], steps: [] };
    let known = false;
    try {
      const entry = findServer(config, name);
      known = true;
      report.url = entry.url ?? '';
      await diagnose(ctx, entry, report);
      outcomes.push(report);
    } catch (error) {
      const failure = describeFailure(name, error);
      const { exitCode: _shownAsTheExitCode, ...detail } = failure.error;
      report.ok = false;
      report.error = detail;
      outcomes.push(failure);
    }
    if (known) report.steps.push(codexStep(status, name));
    reports.push(report);
    if (!options.json) printHuman(ctx, report);
  }
  if (options.json) ctx.out.printJson(options.names.length === 1 ? reports[0] : reports);
  else printSummary(ctx, outcomes, 'passed discovery');
  return batchExitCode(outcomes);
}
