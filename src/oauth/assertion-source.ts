// Where a login with no person gets the JWT it presents: the workload's own token (the JWT-bearer
// grant, RFC 7523 §2.1) or the user's ID token (enterprise-managed authorization's token
// exchange). Read afresh for every token request, since such tokens are short-lived and may be
// single use; never printed, never in a debug trail.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { CodexAuthError } from '../errors.ts';
import { send, type HttpClient } from './http.ts';

export type AssertionSource =
  | { kind: 'file'; path: string }
  | { kind: 'command'; command: string }
  /**
   * A variable is gone in the header helper's environment (Codex clears it), so its value is
   * taken at login and kept in the 0600 state: every renewal presents that same JWT.
   */
  | { kind: 'env'; variable: string; value: string }
  /**
   * The GitHub Actions runner's OIDC endpoint. Its URL and request token (valid for the job) are
   * kept in the 0600 state at login, for the same reason; every renewal asks for a new JWT.
   */
  | { kind: 'github-actions'; requestUrl: string; requestToken: string; audience?: string };

/** What the source is, for `status`, `doctor` and errors: never the JWT or a request token. */
export function describeAssertionSource(source: AssertionSource): string {
  switch (source.kind) {
    case 'file':
      return `the file ${source.path}, read at every token request`;
    case 'command':
      return `the output of ${JSON.stringify(source.command)}, run at every token request`;
    case 'env':
      return `$${source.variable}, taken at login and kept in codex-auth's state (0600)`;
    case 'github-actions':
      return `the GitHub Actions OIDC token for audience ${source.audience ?? "the authorization server's issuer"}, asked for at every token request`;
  }
}

/** A JWT, in bytes: tokens are a few KB; anything far larger is not one. */
const MAX_ASSERTION_BYTES = 64 * 1024;
const COMMAND_TIMEOUT_MS = 10_000;
/** The end of an assertion command's stderr kept for its error. */
const MAX_STDERR_CHARS = 1024;
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

function sourceProblem(what: string, problem: string, hint: string): CodexAuthError {
  return new CodexAuthError({ kind: 'credentials', step: 'credentials', message: `${what} ${problem}`, hint });
}

/** `what` names the token (e.g. "the workload JWT"); the result is checked to be one JWT. */
export async function readAssertion(source: AssertionSource, what: string, http: HttpClient): Promise<string> {
  const text = (await readRaw(source, what, http)).trim();
  const from = `${what} from ${describeSource(source)}`;
  if (text === '') throw sourceProblem(from, 'is empty.', fixFor(source));
  if (text.length > MAX_ASSERTION_BYTES || !JWT_SHAPE.test(text)) throw sourceProblem(from, 'is not a JWT.', fixFor(source));
  return text;
}

function describeSource(source: AssertionSource): string {
  switch (source.kind) {
    case 'file':
      return source.path;
    case 'command':
      return `the command ${JSON.stringify(source.command)}`;
    case 'env':
      return `$${source.variable}`;
    case 'github-actions':
      return 'the GitHub Actions OIDC endpoint';
  }
}

function fixFor(source: AssertionSource): string {
  switch (source.kind) {
    case 'file':
      return 'write the JWT (only it) into the file, or give another --assertion-file';
    case 'command':
      return 'run the command by hand: it must print the JWT and exit 0';
    case 'env':
      return `set ${source.variable} to the JWT and log in again`;
    case 'github-actions':
      return 'give the job `permissions: id-token: write` and log in again in the same job';
  }
}

async function readRaw(source: AssertionSource, what: string, http: HttpClient): Promise<string> {
  switch (source.kind) {
    case 'env':
      return source.value;
    case 'file':
      try {
        return readFileSync(source.path, 'utf8');
      } catch (error) {
        throw sourceProblem(`${what}: the file ${source.path}`, `cannot be read (${(error as NodeJS.ErrnoException).code ?? 'unreadable'}).`, fixFor(source));
      }
    case 'command':
      return runCommand(source.command, what, Math.min(COMMAND_TIMEOUT_MS, http.timeoutMs));
    case 'github-actions':
      return askGitHubActions(source, what, http);
  }
}

/**
 * `sh -c`, as the person typed it; its stdout (the JWT) is captured and bounded, the last line of
 * its stderr goes into the error. It may take at most what the caller allows a token request
 * (the header helper allows 3 s, Codex stops waiting for the helper at about 10 s). The command
 * runs in its own process group so that a timeout ends whatever it started as well: a leftover
 * child still holding stdout would keep us waiting long after.
 */
function runCommand(command: string, what: string, timeoutMs: number): Promise<string> {
  const fail = (how: string) => sourceProblem(`${what}: the command ${JSON.stringify(command)}`, `${how}.`, 'run the command by hand: it must print the JWT and exit 0');
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', command], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let stopped: string | undefined;
    const stop = (why: string) => {
      stopped ??= why;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => stop(`did not finish within ${timeoutMs / 1000} s`), timeoutMs);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      if (stdout.length > MAX_ASSERTION_BYTES) stop('printed more than a JWT can be');
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-MAX_STDERR_CHARS);
    });
    child.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(fail(`could not run (${error.code ?? error.message})`));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (stopped === undefined && code === 0) return resolve(stdout);
      const said = stderr.trim().split('\n').at(-1)?.trim();
      reject(fail(`${stopped ?? `exited with code ${code ?? 'unknown'}`}${said ? ` (it said: ${said.slice(0, 200)})` : ''}`));
    });
  });
}

/**
 * GitHub Actions: GET $ACTIONS_ID_TOKEN_REQUEST_URL&audience=<aud> with the request token as a
 * bearer token answers {"value": "<JWT>"}.
 */
async function askGitHubActions(source: Extract<AssertionSource, { kind: 'github-actions' }>, what: string, http: HttpClient): Promise<string> {
  const url = new URL(source.requestUrl);
  if (source.audience) url.searchParams.set('audience', source.audience);
  const response = await send(http, 'credentials', url, { headers: { authorization: `Bearer ${source.requestToken}`, accept: 'application/json' } });
  const body: unknown = await response.json().catch(() => undefined);
  const value = typeof body === 'object' && body !== null ? (body as { value?: unknown }).value : undefined;
  if (response.status !== 200 || typeof value !== 'string') {
    throw sourceProblem(`${what}: the GitHub Actions OIDC endpoint`, `answered HTTP ${response.status} without a token.`, fixFor(source));
  }
  return value;
}

/** The runner's OIDC endpoint, from the variables GitHub sets in a job with `id-token: write`. */
export function gitHubActionsSource(env: NodeJS.ProcessEnv, audience: string | undefined): AssertionSource {
  const requestUrl = env.ACTIONS_ID_TOKEN_REQUEST_URL;
  const requestToken = env.ACTIONS_ID_TOKEN_REQUEST_TOKEN;
  if (!requestUrl || !requestToken) {
    throw sourceProblem('--assertion-github-actions', 'needs ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN, which are not set.', 'run it in a GitHub Actions job with `permissions: id-token: write`');
  }
  return { kind: 'github-actions', requestUrl, requestToken, ...(audience ? { audience } : {}) };
}
