// What every conformance client does once it can authorize: initialize, list
// the tools and call each one. Requests go through `fetchFn`, which adds the
// bearer token and recovers from 401/403.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import { SUPPORTED_PROTOCOL_VERSIONS } from '@modelcontextprotocol/sdk/types.js';

const clientInfo = { name: 'codex-auth-conformance', version: '1.0.0' };

/**
 * Uses the SDK Client for the protocol revisions it speaks; newer ones (the
 * suite's draft scenarios run MCP 2026-07-28, which the pinned SDK does not
 * speak) get the stateless request form.
 */
export async function exerciseServer(serverUrl: URL, protocolVersion: string | undefined, fetchFn: FetchLike): Promise<void> {
  if (protocolVersion === undefined || SUPPORTED_PROTOCOL_VERSIONS.includes(protocolVersion)) {
    await exerciseWithSdkClient(serverUrl, fetchFn);
  } else {
    await exerciseStateless(serverUrl, protocolVersion, fetchFn);
  }
}

async function exerciseWithSdkClient(serverUrl: URL, fetchFn: FetchLike): Promise<void> {
  const client = new Client(clientInfo);
  const transport = new StreamableHTTPClientTransport(serverUrl, { fetch: fetchFn });
  try {
    await client.connect(transport);
    const { tools } = await client.listTools();
    for (const tool of tools) await client.callTool({ name: tool.name, arguments: {} });
  } finally {
    await client.close();
  }
}

/** MCP 2026-07-28: no initialize; each request names its protocol version in a header and in _meta. */
async function exerciseStateless(serverUrl: URL, protocolVersion: string, fetchFn: FetchLike): Promise<void> {
  let nextId = 1;
  const request = async (method: string, params: Record<string, unknown> = {}): Promise<Record<string, unknown>> => {
    const body = {
      jsonrpc: '2.0',
      id: nextId++,
      method,
      params: {
        ...params,
        _meta: {
          'io.modelcontextprotocol/protocolVersion': protocolVersion,
          'io.modelcontextprotocol/clientInfo': clientInfo,
          'io.modelcontextprotocol/clientCapabilities': {},
        },
      },
    };
    const response = await fetchFn(serverUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-protocol-version': protocolVersion,
      },
      body: JSON.stringify(body),
    });
    const reply = (await response.json()) as { result?: Record<string, unknown>; error?: { message?: string } };
    if (!response.ok || reply.result === undefined) {
      throw new Error(`${method} failed with HTTP ${response.status}: ${reply.error?.message ?? 'no result'}`);
    }
    return reply.result;
  };
  const { tools } = (await request('tools/list')) as { tools: { name: string }[] };
  for (const tool of tools) await request('tools/call', { name: tool.name, arguments: {} });
}
