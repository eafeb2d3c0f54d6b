// Issue 17, item 10d: Node's compile cache goes to a private 0700 directory of codex-auth's,
// never the shared temp directory; a directory someone loosened is tightened again.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { compileCacheDir } from '../../../src/store/compile-cache.ts';
import { ROOT } from '../../e2e/harness.ts';

const modeOf = (path: string) => (statSync(path).mode & 0o777).toString(8);

describe('the compile cache directory', () => {
  it('is a 0700 directory in the codex-auth state directory, tightened if loosened', () => {
    const root = mkdtempSync(join(tmpdir(), 'codex-auth-cache-'));
    try {
      const home = join(root, 'state');
      const dir = compileCacheDir({ CODEX_AUTH_HOME: home });
      assert.equal(dir, join(home, 'compile-cache'));
      assert.deepEqual([modeOf(home), modeOf(dir)], ['700', '700']);
      chmodSync(dir, 0o777);
      compileCacheDir({ CODEX_AUTH_HOME: home });
      assert.equal(modeOf(dir), '700');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("is the directory bin/codex-auth.js hands Node, never Node's default", () => {
    const bin = readFileSync(join(ROOT, 'bin', 'codex-auth.js'), 'utf8');
    assert.match(bin, /module\.enableCompileCache\(compileCacheDir\(\)\)/);
    assert.doesNotMatch(bin, /enableCompileCache\?\.\(\)/, 'no call that leaves the directory to Node');
  });
});
