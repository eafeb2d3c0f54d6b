import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { isCodexAuthError } from '../../../src/errors.ts';
import { ensurePrivateDir, writeFileAtomic } from '../../../src/store/atomic.ts';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'codex-auth-atomic-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));

const modeOf = (file: string) => fs.statSync(file).mode & 0o777;
let counter = 0;
const freshDir = () => {
  const dir = path.join(root, `case-${counter++}`);
  fs.mkdirSync(dir);
  return dir;
};

describe('writeFileAtomic', () => {
  it('creates a new file with mode 0600 by default', () => {
    const file = path.join(freshDir(), 'new.txt');
    writeFileAtomic(file, 'hello');
    assert.equal(fs.readFileSync(file, 'utf8'), 'hello');
    assert.equal(modeOf(file), 0o600);
  });

  it("keeps an existing file's mode", () => {
    const file = path.join(freshDir(), 'config.toml');
    fs.writeFileSync(file, 'old');
    fs.chmodSync(file, 0o640);
    writeFileAtomic(file, 'new');
    assert.equal(fs.readFileSync(file, 'utf8'), 'new');
    assert.equal(modeOf(file), 0o640);
  });

  it('uses the given mode over the existing one, whatever the umask', () => {
    const file = path.join(freshDir(), 'env');
    fs.writeFileSync(file, 'old');
    fs.chmodSync(file, 0o644);
    writeFileAtomic(file, new TextEncoder().encode('bytes'), { mode: 0o600 });
    assert.equal(fs.readFileSync(file, 'utf8'), 'bytes');
    assert.equal(modeOf(file), 0o600);
  });

  it('leaves no temp file behind, on success or failure', () => {
    const dir = freshDir();
    writeFileAtomic(path.join(dir, 'a'), 'x');
    assert.deepEqual(fs.readdirSync(dir), ['a']);
    // Renaming a file over a directory fails after the temp file was written.
    fs.mkdirSync(path.join(dir, 'b'));
    assert.throws(() => writeFileAtomic(path.join(dir, 'b'), 'x'), (error: unknown) => {
      assert.ok(isCodexAuthError(error));
      assert.equal(error.kind, 'storage');
      assert.match(error.message, /b/);
      return true;
    });
    assert.deepEqual(fs.readdirSync(dir).sort(), ['a', 'b']);
    assert.deepEqual(fs.readdirSync(path.join(dir, 'b')), []);
  });

  it('reports a missing directory as a storage error naming the path and step', () => {
    const file = path.join(root, 'missing', 'x');
    assert.throws(() => writeFileAtomic(file, 'x', { step: 'env-file' }), (error: unknown) => {
      assert.ok(isCodexAuthError(error));
      assert.equal(error.kind, 'storage');
      assert.equal(error.step, 'env-file');
      assert.ok(error.message.includes(file));
      return true;
    });
  });

  it('replaces the target of a symlink and keeps the link', () => {
    const dir = freshDir();
    const target = path.join(dir, 'real.toml');
    const link = path.join(dir, 'config.toml');
    fs.writeFileSync(target, 'old');
    fs.symlinkSync(target, link);
    writeFileAtomic(link, 'new');
    assert.ok(fs.lstatSync(link).isSymbolicLink());
    assert.equal(fs.readFileSync(target, 'utf8'), 'new');
  });
});

describe('ensurePrivateDir', () => {
  it('creates nested directories with 0700', () => {
    const dir = path.join(freshDir(), 'a', 'b');
    ensurePrivateDir(dir);
    assert.equal(modeOf(dir), 0o700);
  });

  it('tightens an existing directory that others can read', () => {
    const dir = freshDir();
    fs.chmodSync(dir, 0o755);
    ensurePrivateDir(dir);
    assert.equal(modeOf(dir), 0o700);
  });
});
