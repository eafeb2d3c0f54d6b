import { createHash } from 'node:crypto';

/** A file name for a server: readable when the name is already safe, hashed otherwise. */
export function serverFileName(serverName: string): string {
  if (/^[A-Za-z0-9_-]{1,100}$/.test(serverName)) return serverName;
  return `x-${createHash('sha256').update(serverName).digest('hex').slice(0, 24)}`;
}

/** Registrations are kept per issuer: one file each, named by the issuer's hash. */
export function issuerFileName(issuer: string): string {
  return createHash('sha256').update(issuer).digest('hex').slice(0, 32);
}

/** A user-given client credential's binding file: named by a hash of its id and secret, never the secret. */
export function credentialFileName(clientId: string, secret: string): string {
  return createHash('sha256').update(`${clientId}\0${secret}`).digest('hex').slice(0, 32);
}
