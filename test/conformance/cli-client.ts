// A conformance client that uses codex-auth only as a user would: the command line. In a sandbox
// (its own HOME, CODEX_HOME and CODEX_AUTH_HOME) it writes a Codex config.toml naming the
// scenario's server, runs `codex-auth login conformance` with a $BROWSER that follows the suite's
// immediate redirect (or, for the extension scenarios, with the grant and credentials the suite
// hands over: --grant client_credentials with a secret variable or a key file, --grant jwt-bearer
// with the workload JWT in a variable, --grant enterprise with the IdP and the user's ID token), then
// `codex-auth run -- <a real MCP client>`, which gets the token the way
// any non-codex command does (CODEX_AUTH_CONFORMANCE_TOKEN). What happened goes to the JSON file
// named by $CODEX_AUTH_CLI_CLIENT_REPORT.
// Run by the suite as: node --import tsx test/conformance/cli-client.ts <server-url>
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createSandbox, runCli, type CliResult, type Sandbox } from '../e2e/harness.ts';
import { makeBrowserCommand } from '../peers/browser.ts';
import type { ClientReport } from '../peers/mcp-client-cli.ts';
import { readConformanceEnv, type ConformanceContext } from './conformance-env.ts';

export interface CliClientReport {
  login: Pick<CliResult, 'code' | 'stderr'>;
  run?: Pick<CliResult, 'code' | 'stderr'>;
  client?: ClientReport;
}

const MCP_CLIENT = fileURLToPath(new URL('../peers/mcp-client-cli.ts', import.meta.url));

async function main(): Promise<number> {
  const { serverUrl, scenario, context } = readConformanceEnv(process.argv, process.env);
  const reportFile = process.env.CODEX_AUTH_CLI_CLIENT_REPORT;
  if (!reportFile) throw new Error('set CODEX_AUTH_CLI_CLIENT_REPORT to the file for the report');
  const sandbox = createSandbox();
  try {
    sandbox.writeConfig(`[mcp_servers.conformance]\nurl = "${serverUrl.href}"\n`);
    const how = loginFor(scenario, context, sandbox);
    const login = await runCli(sandbox, ['login', 'conformance', ...how.args], { env: how.env });
    const report: CliClientReport = { login: { code: login.code, stderr: login.stderr } };
    if (login.code === 0) {
      const clientReport = join(sandbox.root, 'client.json');
      const args = ['run', '--', process.execPath, '--import', import.meta.resolve('tsx'), MCP_CLIENT, serverUrl.href, 'CODEX_AUTH_CONFORMANCE_TOKEN', clientReport];
      const run = await runCli(sandbox, args);
      report.run = { code: run.code, stderr: run.stderr };
      report.client = JSON.parse(readFileSync(clientReport, 'utf8')) as ClientReport;
    }
    writeFileSync(reportFile, JSON.stringify(report, null, 2));
    return login.code === 0 && report.run?.code === 0 ? 0 : 1;
  } finally {
    sandbox.cleanup();
  }
}

/** The login a user of that kind of server would type; secrets go in variables and files, never in argv. */
function loginFor(scenario: string, context: ConformanceContext, sandbox: Sandbox): { args: string[]; env: NodeJS.ProcessEnv } {
  const clientId = context.client_id ?? '';
  if (scenario === 'auth/client-credentials-basic') {
    return { args: ['--grant', 'client_credentials', '--client-id', clientId, '--client-secret-env', 'CONFORMANCE_CLIENT_SECRET'], env: { CONFORMANCE_CLIENT_SECRET: context.client_secret } };
  }
  if (scenario === 'auth/client-credentials-jwt') {
    const keyFile = join(sandbox.root, 'client-key.pem');
    writeFileSync(keyFile, context.private_key_pem ?? '', { mode: 0o600 });
    const alg = context.signing_algorithm ? ['--signing-alg', context.signing_algorithm] : [];
    return { args: ['--grant', 'client_credentials', '--client-id', clientId, '--private-key', keyFile, ...alg], env: {} };
  }
  if (scenario === 'auth/wif-jwt-bearer') {
    return { args: ['--grant', 'jwt-bearer', '--client-id', clientId, '--assertion-env', 'WORKLOAD_JWT'], env: { WORKLOAD_JWT: context.valid_jwt } };
  }
  if (scenario === 'auth/enterprise-managed-authorization') {
    return {
      args: ['--grant', 'enterprise', '--idp-token-endpoint', context.idp_token_endpoint ?? '', '--idp-client-id', context.idp_client_id ?? '', '--id-token-env', 'ID_TOKEN', '--client-id', clientId, '--client-secret-env', 'CONFORMANCE_CLIENT_SECRET'],
      env: { ID_TOKEN: context.idp_id_token, CONFORMANCE_CLIENT_SECRET: context.client_secret },
    };
  }
  return { args: [], env: { BROWSER: makeBrowserCommand(sandbox.root) } };
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(2);
  },
);
