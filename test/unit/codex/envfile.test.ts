import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { readEnvFile, renderEnvFile, writeEnvFile } from '../../../src/codex/envfile.ts';
import { isCodexAuthError } from '../../../src/errors.ts';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'codex-auth-envfile-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));

const AWKWARD = {
  CODEX_AUTH_B_TOKEN: `it's "quoted" $HOME \`id\` \\n * ; & | ''`,
  CODEX_AUTH_A_TOKEN: 'eyJhbGciOiJFUzI1NiJ9.eyJhdWQiOiJ4In0.sig-_=',
  CODEX_AUTH_C_TOKEN: 'ünïcødé 😀',
  CODEX_AUTH_EMPTY_TOKEN: '',
};

/** Runs a shell in a bare environment with HOME in the temp dir: no start-up file of the real home is read. */
const runShell = (shell: string, args: string[]) => execFileSync(shell, args, {
  env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: root },
  stdio: ['ignore', 'pipe', 'pipe'],
});

/** Shells on this machine to load the file with (zsh where installed). */
const SHELLS = ['sh', 'bash', 'zsh'].filter((shell) => {
  try {
    runShell(shell, ['-c', 'true']);
    return true;
  } catch {
    return false;
  }
});

/** What a real shell sees after `set -a; . file`. */
function loadWithShell(shell: string, file: string): Record<string, string> {
  const output = runShell(shell, ['-c', 'set -a; . "$1"; set +a; env -0', shell, file]).toString('utf8');
  return Object.fromEntries(output.split('\0').filter(Boolean).map((pair) => {
    const at = pair.indexOf('=');
    return [pair.slice(0, at), pair.slice(at + 1)];
  }));
}

describe('renderEnvFile', () => {
  it('writes a header and sorted single-quoted lines', () => {
    const text = renderEnvFile({ B: 'two', A: 'one' });
    assert.match(text, /^# Written by codex-auth/);
    assert.ok(text.endsWith("A='one'\nB='two'\n"));
  });

  it(`round-trips awkward values through real shells (${SHELLS.join(', ')})`, () => {
    const file = path.join(root, 'awkward.env');
    fs.writeFileSync(file, renderEnvFile(AWKWARD));
    assert.ok(SHELLS.includes('sh'));
    for (const shell of SHELLS) {
      const seen = loadWithShell(shell, file);
      for (const [name, value] of Object.entries(AWKWARD)) assert.equal(seen[name], value, `${shell}: ${name}`);
    }
  });

  it('refuses line breaks in values and bad names', () => {
    const refused = (error: unknown) => isCodexAuthError(error) && error.step === 'env-file';
    assert.throws(() => renderEnvFile({ A: 'x\ny' }), refused);
    assert.throws(() => renderEnvFile({ A: 'x\ry' }), refused);
    assert.throws(() => renderEnvFile({ 'A-B': 'x' }), refused);
    assert.throws(() => renderEnvFile({ '1A': 'x' }), refused);
  });
});

describe('writeEnvFile', () => {
  it('writes 0600 and skips the write when nothing changed', () => {
    const file = path.join(root, 'tokens.env');
    assert.equal(writeEnvFile(file, { A: '1' }), true);
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    const before = fs.statSync(file);
    assert.equal(writeEnvFile(file, { A: '1' }), false);
    assert.equal(fs.statSync(file).ino, before.ino);
    assert.equal(writeEnvFile(file, { A: '2' }), true);
    assert.deepEqual(readEnvFile(file), { A: '2' });
  });

  it('creates nothing before there is a token, and creates its private directory when there is one', () => {
    const dir = path.join(root, 'fresh-machine', 'codex-auth');
    const file = path.join(dir, 'env');
    assert.equal(writeEnvFile(file, {}), false);
    assert.equal(fs.existsSync(dir), false);
    assert.equal(writeEnvFile(file, { A: '1' }), true);
    assert.equal(fs.statSync(dir).mode & 0o777, 0o700);
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.equal(writeEnvFile(file, {}), true, 'an existing file loses its last token');
    assert.deepEqual(readEnvFile(file), {});
  });

  it('tightens a loose mode even when the content is unchanged', () => {
    const file = path.join(root, 'loose.env');
    writeEnvFile(file, { A: '1' });
    fs.chmodSync(file, 0o644);
    assert.equal(writeEnvFile(file, { A: '1' }), false);
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  });
});

describe('readEnvFile', () => {
  it('reads back what renderEnvFile wrote', () => {
    const file = path.join(root, 'back.env');
    fs.writeFileSync(file, renderEnvFile(AWKWARD));
    assert.deepEqual(readEnvFile(file), AWKWARD);
  });

  it('tolerates hand edits and a missing file', () => {
    const file = path.join(root, 'hand.env');
    fs.writeFileSync(file, '# note\r\nexport A="x \\"y\\""\r\nB=plain\\ word\r\n\r\nnot a line\r\n');
    assert.deepEqual(readEnvFile(file), { A: 'x "y"', B: 'plain word' });
    assert.deepEqual(readEnvFile(path.join(root, 'absent.env')), {});
  });
});
