// Issue 17, item 6: the user's http_headers / env_http_headers (a gateway's API key, a tenant key)
// go to the MCP URL's own origin only. The server's challenge names protected-resource metadata on
// another origin (another 127.0.0.1 port), whose authorization server also lives there: none of
// those requests may carry the headers.
import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import { describe, it } from 'node:test';
import { createSandbox, runCli } from '../e2e/harness.ts';
import { makeCallbackBrowser, sendJson, startHostileServer, type Handler } from './hostile-server.ts';

const API_KEY = 'gateway-key-5e1d0c9b7a';
const TENANT_KEY = 'tenant-key-8c2f4e6a1b';

describe("the entry's static headers stay on the MCP server's origin", () => {
  it('are not sent to resource metadata or an authorization server on another origin', async () => {
    const gateway = await startHostileServer();
    const elsewhere = await startHostileServer();
    const sandbox = createSandbox();
    try {
      const atGateway: IncomingHttpHeaders[] = [];
      const atElsewhere: IncomingHttpHeaders[] = [];
      gateway.use({
        mcp: ({ req, res }) => {
          atGateway.push(req.headers);
          res.writeHead(401, { 'www-authenticate': `Bearer resource_metadata="${elsewhere.origin}/.well-known/oauth-protected-resource/mcp"` }).end();
        },
      });
      const recorded = (status: number, change: (good: Record<string, unknown>) => Record<string, unknown> = (good) => good): Handler => ({ req, res }, good) => {
        atElsewhere.push(req.headers);
        sendJson(res, status, change(good()));
      };
      elsewhere.use({
        'resource-metadata': recorded(200, (good) => ({ ...good, resource: gateway.mcpUrl })),
        'as-metadata': recorded(200),
        register: recorded(201),
        token: recorded(200),
      });
      sandbox.writeConfig(
        `[mcp_servers.gw]\nurl = "${gateway.mcpUrl}"\nhttp_headers = { "X-Api-Key" = "${API_KEY}" }\nenv_http_headers = { "X-Tenant" = "TENANT_KEY" }\n`,
      );

      const login = await runCli(sandbox, ['login', 'gw'], { env: { BROWSER: makeCallbackBrowser(sandbox.root), TENANT_KEY } });
      assert.equal(login.code, 0, login.stderr);

      assert.ok(atGateway.length > 0 && atGateway.every((headers) => headers['x-api-key'] === API_KEY && headers['x-tenant'] === TENANT_KEY), 'the MCP server itself gets them');
      assert.deepEqual(elsewhere.paths.filter((path) => path !== '/mcp').sort(), ['/.well-known/oauth-authorization-server', '/.well-known/oauth-protected-resource/mcp', '/register', '/token']);
      for (const headers of atElsewhere) {
        assert.equal(headers['x-api-key'], undefined, 'the API key left the origin');
        assert.equal(headers['x-tenant'], undefined, 'the tenant key left the origin');
      }
    } finally {
      await Promise.all([gateway.close(), elsewhere.close()]);
      sandbox.cleanup();
    }
  });
});
