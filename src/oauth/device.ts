// Device authorization grant (RFC 8628), for machines with no browser and
// no way to paste a redirect back: show a code, poll the token endpoint.
import { setTimeout as delay } from 'node:timers/promises';
import {
  deviceAuthorizationRequest,
  deviceCodeGrantRequest,
  processDeviceAuthorizationResponse,
  processDeviceCodeResponse,
  ResponseBodyError,
  type AuthorizationServer,
} from 'oauth4webapi';
import { CodexAuthError, type Step } from '../errors.ts';
import { requireJsonResponse } from './content-type.ts';
import { describeServerError, toCodexAuthError } from './failures.ts';
import { isAllowedUrl, oauthOptions, parseUrl, redactUrl, type HttpClient } from './http.ts';
import { clientAuthentication, oauthClient, type ClientRecord } from './registration.ts';
import { screenTokenResponse, toTokenSet, type TokenSet } from './tokens.ts';

export interface DeviceCodeInfo {
  verificationUri: string;
  verificationUriComplete?: string;
  userCode: string;
}

export interface DeviceLoginInput {
  as: AuthorizationServer;
  client: ClientRecord;
  scopes?: string[];
  resource: string;
  showDeviceCode: (info: DeviceCodeInfo) => void;
  signal?: AbortSignal;
}

export interface DeviceLoginDeps {
  http: HttpClient;
  now: () => number;
  /** Waits between polls; injected so tests need not wait. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

const STEP: Step = 'device-authorization';
const DEFAULT_INTERVAL_S = 5;
const SLOW_DOWN_S = 5;

/** The device endpoint; checked before anything is registered for the device grant. */
export function deviceAuthorizationEndpoint(as: AuthorizationServer): string {
  const endpoint = as.device_authorization_endpoint;
  if (endpoint !== undefined) return endpoint;
  throw new CodexAuthError({
    kind: 'authorization',
    step: STEP,
    message: `The authorization server ${as.issuer} does not offer the device flow (no device_authorization_endpoint).`,
    hint: 'Log in with the browser instead; over SSH, paste the redirect URL back into the terminal.',
  });
}

export async function deviceLogin(input: DeviceLoginInput, deps: DeviceLoginDeps): Promise<TokenSet> {
  const { as, client } = input;
  const endpoint = deviceAuthorizationEndpoint(as);
  const parameters: Record<string, string> = { resource: input.resource };
  if (input.scopes && input.scopes.length > 0) parameters.scope = input.scopes.join(' ');
  const action = `Starting the device login at ${redactUrl(endpoint)}`;
  let authorization: Awaited<ReturnType<typeof processDeviceAuthorizationResponse>>;
  try {
    const response = await deviceAuthorizationRequest(as, oauthClient(client), clientAuthentication(client), parameters, oauthOptions(deps.http, STEP, endpoint));
    requireJsonResponse(response, STEP, action);
    authorization = await processDeviceAuthorizationResponse(as, oauthClient(client), response);
  } catch (error) {
    throw toCodexAuthError(error, { step: STEP, action });
  }
  input.showDeviceCode(deviceCodeInfo(authorization));
  return pollForTokens(input, deps, authorization.device_code, authorization.interval ?? DEFAULT_INTERVAL_S, deps.now() + authorization.expires_in * 1000);
}

function deviceCodeInfo(authorization: { verification_uri: string; verification_uri_complete?: string; user_code: string }): DeviceCodeInfo {
  const verification = parseUrl(authorization.verification_uri);
  if (!verification || !isAllowedUrl(verification)) {
    throw new CodexAuthError({
      kind: 'authorization',
      step: STEP,
      message: `The server asks to visit ${authorization.verification_uri}, which is not an https URL; refusing to show it.`,
      hint: 'Tell the server operator.',
    });
  }
  const info: DeviceCodeInfo = { verificationUri: verification.href, userCode: authorization.user_code };
  const complete = authorization.verification_uri_complete ? parseUrl(authorization.verification_uri_complete) : undefined;
  if (complete && isAllowedUrl(complete)) info.verificationUriComplete = complete.href;
  return info;
}

async function pollForTokens(input: DeviceLoginInput, deps: DeviceLoginDeps, deviceCode: string, intervalS: number, deadline: number): Promise<TokenSet> {
  const { as, client } = input;
  const sleep = deps.sleep ?? defaultSleep;
  const action = 'Completing the device login';
  let interval = intervalS;
  for (;;) {
    await sleep(interval * 1000, input.signal);
    if (deps.now() > deadline) throw expired();
    try {
      const response = await deviceCodeGrantRequest(as, oauthClient(client), clientAuthentication(client), deviceCode, {
        ...oauthOptions(deps.http, 'token-exchange', as.token_endpoint),
        additionalParameters: { resource: input.resource },
      });
      const screened = await screenTokenResponse(response, 'token-exchange', action, deps.http);
      return toTokenSet(await processDeviceCodeResponse(as, oauthClient(client), screened), deps.now, 'token-exchange');
    } catch (error) {
      if (!(error instanceof ResponseBodyError)) throw toCodexAuthError(error, { step: 'token-exchange', action });
      if (error.error === 'authorization_pending') continue;
      if (error.error === 'slow_down') {
        interval += SLOW_DOWN_S;
        continue;
      }
      if (error.error === 'expired_token') throw expired();
      throw new CodexAuthError({
        kind: 'authorization',
        step: STEP,
        message: error.error === 'access_denied' ? 'The device login was declined.' : 'The device login failed.',
        serverSaid: describeServerError(error.error, error.error_description),
        hint: 'Run the login again.',
        cause: error,
      });
    }
  }
}

function expired(): CodexAuthError {
  return new CodexAuthError({
    kind: 'authorization',
    step: STEP,
    message: 'The device code expired before the login was approved.',
    hint: 'Run the login again and approve it sooner.',
  });
}

function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return delay(ms, undefined, signal ? { signal } : {});
}
