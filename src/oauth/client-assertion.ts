// private_key_jwt (RFC 7523 §2.2): the client proves itself with a JWT signed by its own key.
// The key is read from its PEM file for every token request (a rotated key file is used at
// once, and the key never sits in codex-auth's state); oauth4webapi builds and signs the
// assertion (iss = sub = client id, aud = issuer, a fresh jti, a short exp).
import { createPrivateKey, webcrypto, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { PrivateKeyJwt, type AuthorizationServer, type ClientAuth } from 'oauth4webapi';
import { CodexAuthError } from '../errors.ts';

/** JWS algorithms codex-auth signs with, and the WebCrypto parameters each needs. */
const ALGORITHMS = {
  ES256: { name: 'ECDSA', namedCurve: 'P-256' },
  ES384: { name: 'ECDSA', namedCurve: 'P-384' },
  ES512: { name: 'ECDSA', namedCurve: 'P-521' },
  RS256: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
  RS384: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-384' },
  RS512: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-512' },
  PS256: { name: 'RSA-PSS', hash: 'SHA-256' },
  PS384: { name: 'RSA-PSS', hash: 'SHA-384' },
  PS512: { name: 'RSA-PSS', hash: 'SHA-512' },
  EdDSA: { name: 'Ed25519' },
} as const;

export type SigningAlg = keyof typeof ALGORITHMS;

export function isSigningAlg(value: string): value is SigningAlg {
  return Object.hasOwn(ALGORITHMS, value);
}

const CURVE_ALGS: Record<string, SigningAlg> = { prime256v1: 'ES256', secp384r1: 'ES384', secp521r1: 'ES512' };

/** The algorithms a key can sign with, the one its type suggests first. */
function algorithmsFor(key: KeyObject): SigningAlg[] {
  switch (key.asymmetricKeyType) {
    case 'ec': {
      const alg = CURVE_ALGS[key.asymmetricKeyDetails?.namedCurve ?? ''];
      return alg ? [alg] : [];
    }
    case 'rsa':
      return ['RS256', 'PS256', 'RS384', 'PS384', 'RS512', 'PS512'];
    case 'rsa-pss':
      return ['PS256', 'PS384', 'PS512'];
    case 'ed25519':
      return ['EdDSA'];
    default:
      return [];
  }
}

function keyProblem(path: string, problem: string, hint: string): CodexAuthError {
  return new CodexAuthError({ kind: 'credentials', step: 'credentials', message: `The private key ${path} ${problem}`, hint });
}

/** Reads the PEM file as a private key; never says anything of its content. */
function readPrivateKey(path: string): KeyObject {
  let pem: Buffer;
  try {
    pem = readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw keyProblem(path, `cannot be read (${code}).`, 'check the --private-key path and that this user can read the file');
  }
  try {
    const key = createPrivateKey({ key: pem, format: 'pem' });
    if (key.type === 'private') return key;
  } catch {
    // Reported below without the parser's words, which may quote the file.
  }
  throw keyProblem(path, 'is not a PEM private key (PKCS#8 "BEGIN PRIVATE KEY", or an EC/RSA private key).', 'give the file with the client\'s private key, not its public key or certificate');
}

/**
 * The algorithm to sign with: the one asked for, else ES256 when the server lists it and the
 * key can, else the first the server lists that the key can, else the key's own. Checked at
 * login, so a key that cannot make an assertion the server accepts fails there.
 */
export function chooseSigningAlg(path: string, as: Pick<AuthorizationServer, 'token_endpoint_auth_signing_alg_values_supported'>, requested?: string): SigningAlg {
  const usable = algorithmsFor(readPrivateKey(path));
  if (usable.length === 0) throw keyProblem(path, 'is of a type codex-auth cannot sign with.', 'use an EC (P-256, P-384, P-521), RSA or Ed25519 key');
  const listed = as.token_endpoint_auth_signing_alg_values_supported;
  if (requested !== undefined) {
    if (!isSigningAlg(requested) || !usable.includes(requested)) {
      throw keyProblem(path, `cannot sign with ${requested}.`, `use --signing-alg with one of ${usable.join(', ')}`);
    }
    return requested;
  }
  if (listed === undefined) return usable[0]!;
  const preferred = (['ES256', ...listed] as string[]).find((alg) => listed.includes(alg) && (usable as string[]).includes(alg));
  if (preferred) return preferred as SigningAlg;
  throw keyProblem(path, `signs with ${usable.join(', ')}, but the server accepts only ${listed.join(', ')} (token_endpoint_auth_signing_alg_values_supported).`, 'use a key of a type the server accepts');
}

async function signingKey(path: string, alg: SigningAlg): Promise<webcrypto.CryptoKey> {
  const der = readPrivateKey(path).export({ type: 'pkcs8', format: 'der' });
  try {
    return await webcrypto.subtle.importKey('pkcs8', der, ALGORITHMS[alg], false, ['sign']);
  } catch {
    throw keyProblem(path, `cannot sign with ${alg}.`, 'give the key the client was registered with, or a matching --signing-alg');
  }
}

/** Client authentication for one token request; the key file is read when the request is made. */
export function privateKeyJwt(path: string, alg: SigningAlg): ClientAuth {
  return async (as, client, body, headers) => PrivateKeyJwt(await signingKey(path, alg))(as, client, body, headers);
}
