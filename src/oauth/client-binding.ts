// A client secret (or private key) the user gives for a pre-registered client belongs to one
// authorization server. It is bound to the issuer of its first successful login and never sent
// to another: a hostile server behind another entry must not collect it (issue 17, item 4).
import { CodexAuthError } from '../errors.ts';
import { shellCommand } from '../shell.ts';

/** A pre-registered client as the user gave it: its id and the secret (or private key) that proves it. */
export interface ClientCredential {
  clientId: string;
  secret: string;
}

export interface CredentialBinding {
  issuer: string;
  /** The server whose login bound it. */
  serverName: string;
  boundAt: number;
  /** Where the binding is kept, for the person who must undo it by hand. */
  location: string;
}

/** Bindings of user-given credentials to issuers (on disk: src/store/state.ts). */
export interface CredentialBindings {
  /** The credential's binding; undefined before its first successful login. */
  find(credential: ClientCredential): CredentialBinding | undefined;
  /** Binds the credential to the issuer that just accepted it. */
  bind(credential: ClientCredential, issuer: string, serverName: string, now: number): void;
}

/** Bindings kept in memory only, for a caller with no state on disk (the conformance client, one login per process). */
export class MemoryCredentialBindings implements CredentialBindings {
  private readonly bindings = new Map<string, CredentialBinding>();
  find(credential: ClientCredential): CredentialBinding | undefined {
    return this.bindings.get(credentialKey(credential));
  }
  bind(credential: ClientCredential, issuer: string, serverName: string, now: number): void {
    this.bindings.set(credentialKey(credential), { issuer, serverName, boundAt: now, location: 'memory' });
  }
}

function credentialKey(credential: ClientCredential): string {
  return JSON.stringify([credential.clientId, credential.secret]);
}

/**
 * Refuses, before any of it is sent, a credential bound to another issuer than the one this
 * server's metadata leads to.
 */
export function assertCredentialBoundTo(bindings: CredentialBindings, credential: ClientCredential, issuer: string, serverName: string): void {
  const binding = bindings.find(credential);
  if (binding === undefined || binding.issuer === issuer) return;
  const firstUse = binding.serverName === serverName ? '' : ` (first used for ${binding.serverName})`;
  throw new CodexAuthError({
    kind: 'registration',
    step: 'registration',
    server: serverName,
    message: `refusing to send the secret of client ${credential.clientId} to the authorization server ${issuer}: it belongs to ${binding.issuer}${firstUse}`,
    hint: `check the url of ${serverName} in config.toml; if that client has really moved to ${issuer}, run ${shellCommand(['rm', binding.location])} and log in again`,
  });
}
