// A real MCP client (the SDK's) as a command for `codex-auth run -- <command>`: it takes the access
// token from the variable `run` sets for non-codex commands, connects, lists the tools, calls each
// one with empty arguments and writes what happened to a file (never the token, never to stdout).
//   node --import tsx mcp-client-cli.ts <mcp-url> <token-variable> <report-file>
import { writeFileSync } from 'node:fs';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';

/** What the client saw; `calls` maps each tool to its text, or to the error it met. */
export interface ClientReport {
  tools: string[];
  calls: Record<string, { text?: string; error?: string }>;
  error?: string;
}

async function main(): Promise<number> {
  const [url, variable, reportFile] = process.argv.slice(2);
  if (!url || !variable || !reportFile) throw new Error('usage: mcp-client-cli.ts <mcp-url> <token-variable> <report-file>');
  const token = process.env[variable];
  const report: ClientReport = { tools: [], calls: {} };
  const client = new Client({ name: 'codex-auth-test-client', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers: token ? { authorization: `Bearer ${token}` } : {} },
  });
  try {
    await client.connect(transport);
    report.tools = (await client.listTools()).tools.map((tool) => tool.name);
    for (const name of report.tools) {
      try {
        const result = (await client.callTool({ name, arguments: {} })) as CallToolResult;
        report.calls[name] = { text: result.content.map((part) => (part.type === 'text' ? part.text : '')).join('') };
      } catch (error) {
        report.calls[name] = { error: error instanceof Error ? error.message : String(error) };
      }
    }
  } catch (error) {
    report.error = error instanceof Error ? error.message : String(error);
  } finally {
    await client.close().catch(() => undefined);
  }
  writeFileSync(reportFile, JSON.stringify(report));
  return report.error === undefined && Object.values(report.calls).every((call) => call.error === undefined) ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(2);
  },
);
