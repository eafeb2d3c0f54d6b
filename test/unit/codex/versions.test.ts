import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { codexVersion, compareVersions, hasFeature } from '../../../src/codex/versions.ts';
import { chooseWiring, helperCommandLine } from '../../../src/codex/wiring.ts';

const root = mkdtempSync(join(tmpdir(), 'codex-auth-versions-'));
after(() => rmSync(root, { recursive: true, force: true }));

describe('Codex versions', () => {
  it('compares numerically and knows the first release of each feature', () => {
    assert.ok(compareVersions('0.152.0', '0.148.10') > 0);
    assert.ok(compareVersions('0.130.0', '0.130.0-alpha.1') === 0);
    assert.equal(hasFeature('0.151.0', 'headersHelper'), false, '0.148-0.151 refuse Authorization from a helper');
    assert.equal(hasFeature('0.152.0', 'headersHelper'), true);
    assert.equal(hasFeature('0.150.1', 'helperKey'), true, '0.148-0.151 run the helper (and refuse its Authorization)');
    assert.equal(hasFeature('0.147.0', 'helperKey'), false);
    assert.equal(hasFeature('0.130.0', 'backgroundServer'), false);
    assert.equal(hasFeature(undefined, 'headersHelper'), true, 'an unknown version counts as current');
  });

  it('reads the npm package version without running codex; asks any other binary once and caches by size and mtime', () => {
    const pkg = join(root, 'node_modules', '@openai', 'codex');
    mkdirSync(join(pkg, 'bin'), { recursive: true });
    writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: '@openai/codex', version: '0.171.0' }));
    writeFileSync(join(pkg, 'bin', 'codex.js'), '#!/usr/bin/env node\nthrow new Error("never run")\n');
    const cache = join(root, 'codex-versions.json');
    assert.equal(codexVersion(join(pkg, 'bin', 'codex.js'), cache), '0.171.0');

    const native = join(root, 'codex');
    const counter = join(root, 'asked');
    writeFileSync(native, `#!/bin/sh\necho x >> '${counter}'\necho "codex-cli 0.130.0"\n`);
    chmodSync(native, 0o755);
    assert.equal(codexVersion(native, cache), '0.130.0');
    assert.equal(codexVersion(native, cache), '0.130.0');
    assert.equal(readFileSync(counter, 'utf8'), 'x\n', 'asked once, then cached');
    writeFileSync(native, `#!/bin/sh\necho x >> '${counter}'\necho "codex-cli 0.171.2 (upgraded)"\n`);
    assert.equal(codexVersion(native, cache), '0.171.2', 'a changed binary is asked again');
    assert.equal(codexVersion(join(root, 'missing'), cache), undefined);
  });
});

describe('wiring choice', () => {
  it('the helper whenever a Codex that runs it is, or was, in use; the variable only for older Codex alone', () => {
    assert.equal(chooseWiring('0.171.0', false), 'helper');
    assert.equal(chooseWiring(undefined, false), 'helper', 'no codex on PATH: the desktop app and IDEs bring a current one');
    assert.equal(chooseWiring('0.130.0', false), 'environment');
    assert.equal(chooseWiring('0.130.0', true), 'helper', 'never back from the helper');
  });

  it('the helper command line spells out every path, quoted for sh where needed', () => {
    const line = helperCommandLine({ node: '/usr/bin/node', script: '/opt/codex auth/bin/codex-auth.js', configPath: "/home/o'neil/.codex/config.toml", stateDir: '/home/u/Library/Application Support/codex-auth' }, 'my server');
    assert.equal(line, "/usr/bin/node '/opt/codex auth/bin/codex-auth.js' headers 'my server' --config '/home/o'\\''neil/.codex/config.toml' --state-dir '/home/u/Library/Application Support/codex-auth'");
  });
});
