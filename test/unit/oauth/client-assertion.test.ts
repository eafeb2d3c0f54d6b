// private_key_jwt's choice of algorithm (RFC 7523 §2.2; SEP-1046): the one asked for, else ES256
// when the server lists it and the key can, else one the server and the key share; and the
// assertion oauth4webapi signs with the key read from its file.
import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import * as jose from 'jose';
import { chooseSigningAlg, privateKeyJwt } from '../../../src/oauth/client-assertion.ts';
import { CodexAuthError } from '../../../src/errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'codex-auth-keys-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function keyFile(name: string, key: KeyObject): string {
  const path = join(dir, name);
  writeFileSync(path, key.export({ type: 'pkcs8', format: 'pem' }));
  return path;
}

const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const ecFile = keyFile('ec.pem', ec.privateKey);
const rsaFile = keyFile('rsa.pem', generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey);
const edFile = keyFile('ed.pem', generateKeyPairSync('ed25519').privateKey);

function refuses(run: () => unknown, pattern: RegExp): void {
  assert.throws(run, (error: unknown) => error instanceof CodexAuthError && error.kind === 'credentials' && pattern.test(error.message));
}

describe('chooseSigningAlg', () => {
  it('prefers ES256 when the server lists it and the key is P-256, else what both share, else the key\'s own', () => {
    assert.equal(chooseSigningAlg(ecFile, { token_endpoint_auth_signing_alg_values_supported: ['RS256', 'ES256'] }), 'ES256');
    assert.equal(chooseSigningAlg(rsaFile, { token_endpoint_auth_signing_alg_values_supported: ['ES256', 'PS256', 'RS256'] }), 'PS256');
    assert.equal(chooseSigningAlg(edFile, {}), 'EdDSA');
    assert.equal(chooseSigningAlg(rsaFile, {}), 'RS256');
    assert.equal(chooseSigningAlg(rsaFile, {}, 'PS384'), 'PS384');
  });

  it('refuses a key the server cannot take, an algorithm the key cannot sign with, and files that are no private key', () => {
    refuses(() => chooseSigningAlg(ecFile, { token_endpoint_auth_signing_alg_values_supported: ['RS256'] }), /signs with ES256, but the server accepts only RS256/);
    refuses(() => chooseSigningAlg(ecFile, {}, 'RS256'), /cannot sign with RS256/);
    refuses(() => chooseSigningAlg(ecFile, {}, 'none'), /cannot sign with none/);
    const publicOnly = join(dir, 'public.pem');
    writeFileSync(publicOnly, ec.publicKey.export({ type: 'spki', format: 'pem' }));
    refuses(() => chooseSigningAlg(publicOnly, {}), /is not a PEM private key/);
    refuses(() => chooseSigningAlg(join(dir, 'missing.pem'), {}), /cannot be read \(ENOENT\)/);
  });
});

describe('privateKeyJwt', () => {
  it('signs a fresh assertion per request: iss = sub = client id, aud = issuer, a new jti, a short exp', async () => {
    const auth = privateKeyJwt(ecFile, 'ES256');
    const as = { issuer: 'https://as.example', token_endpoint: 'https://as.example/token' };
    const assertions: string[] = [];
    for (let i = 0; i < 2; i++) {
      const body = new URLSearchParams();
      await auth(as, { client_id: 'ci' }, body, new Headers());
      assert.equal(body.get('client_assertion_type'), 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
      assertions.push(body.get('client_assertion') ?? '');
    }
    const claims = await Promise.all(assertions.map(async (jwt) => (await jose.jwtVerify(jwt, ec.publicKey, { issuer: 'ci', subject: 'ci', audience: 'https://as.example' })).payload));
    assert.notEqual(claims[0]?.jti, claims[1]?.jti);
    assert.ok((claims[0]?.exp ?? 0) - (claims[0]?.iat ?? 0) <= 300);
  });
});
