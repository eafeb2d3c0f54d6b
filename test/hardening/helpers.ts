// Helpers shared by the hardening tests: expiring a stored token, a child command
// that records the token `run` hands it (to a file, never to stdout), secrets a
// run issued, and file-mode checks.
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { AuthServer } from '../peers/auth-server.ts';
import type { Sandbox } from '../e2e/harness.ts';
import { ageStoredToken, type StoredGrant } from '../e2e/fixtures.ts';

/** Expires the stored token a minute ago, as time passing would. */
export function expireStoredToken(sandbox: Sandbox, name = 'demo'): void {
  ageStoredToken(sandbox, -60_000, name);
}

/**
 * `run -- <these args>`: a node child that writes the variable's value to `file`.
 * The token travels by file so that no test ever prints it.
 */
export function recordTokenCommand(file: string, variable = 'CODEX_AUTH_DEMO_TOKEN'): string[] {
  const script = `require('node:fs').writeFileSync(process.argv[1], process.env[${JSON.stringify(variable)}] ?? '')`;
  return [process.execPath, '-e', script, file];
}

/** Every secret the authorization server saw or that codex-auth stored, for scanning output. */
export function issuedSecrets(auth: AuthServer, states: Array<StoredGrant | undefined>): string[] {
  const secrets = new Set<string>();
  for (const request of auth.requests) {
    for (const field of ['code', 'code_verifier', 'refresh_token', 'client_secret', 'token'] as const) {
      for (const value of request.form?.[field] ?? []) secrets.add(value);
    }
  }
  for (const state of states) {
    const tokens = state?.grant?.tokens;
    if (tokens?.accessToken) secrets.add(tokens.accessToken);
    if (tokens?.refreshToken) secrets.add(tokens.refreshToken);
    if (state?.grant?.client.clientSecret) secrets.add(state.grant.client.clientSecret);
  }
  return [...secrets];
}

export function assertMode(path: string, expected: number): void {
  assert.equal((statSync(path).mode & 0o777).toString(8), expected.toString(8), `mode of ${path}`);
}

export function tokenFiles(dir: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => join(dir, `token-${i}.txt`));
}
