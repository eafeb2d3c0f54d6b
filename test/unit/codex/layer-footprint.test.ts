// The header helper reuses its last answer while a project's layers look exactly as they did:
// every path the decision looked at, and the directory's real path. Each kind of change must
// show, and a git worktree (`.git` is a file, so `.git/HEAD` is "not a directory") must work.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { parseCodexConfig } from '../../../src/codex/config.ts';
import { footprintHolds } from '../../../src/codex/layer-footprint.ts';
import { projectLayers } from '../../../src/codex/layers.ts';

describe('project layer footprints', () => {
  let root: string;
  let repo: string;
  let deep: string;
  const user = () => parseCodexConfig(join(root, 'home', 'config.toml'), `[projects."${repo}"]\ntrust_level = "trusted"\n`);
  const layersIn = (dir: string) => projectLayers(user(), dir);

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'codex-auth-footprint-'));
    repo = join(root, 'repo');
    deep = join(repo, 'src', 'deep');
    mkdirSync(deep, { recursive: true });
    mkdirSync(join(repo, '.codex'));
    // A worktree: `.git` is a file naming the real repository.
    writeFileSync(join(repo, '.git'), 'gitdir: /elsewhere/.git/worktrees/repo\n');
    writeFileSync(join(repo, '.codex', 'config.toml'), '[mcp_servers.demo]\nurl = "https://a.example/mcp"\n');
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('finds a worktree\'s layers and holds while nothing changed', () => {
    const layers = layersIn(deep);
    assert.equal(layers.trustDir, repo);
    assert.ok(layers.trusted);
    assert.deepEqual(layers.files, [join(repo, '.codex', 'config.toml')]);
    assert.ok(footprintHolds(layers.footprint, deep));
    assert.equal(footprintHolds(layers.footprint, repo), false, 'another directory is another question');
  });

  it('no longer holds after a layer file is edited, a deeper one appears, a marker appears below the root, or the directory moves', () => {
    const changes: Array<() => void> = [
      () => writeFileSync(join(repo, '.codex', 'config.toml'), '[mcp_servers.demo]\nurl = "https://bb.example/mcp"\n'),
      () => {
        mkdirSync(join(deep, '.codex'));
        writeFileSync(join(deep, '.codex', 'config.toml'), '');
      },
      () => mkdirSync(join(repo, 'src', '.git')),
      () => {
        renameSync(repo, join(root, 'moved'));
        mkdirSync(deep, { recursive: true });
      },
    ];
    for (const change of changes) {
      const layers = layersIn(deep);
      assert.ok(footprintHolds(layers.footprint, deep));
      change();
      assert.equal(footprintHolds(layers.footprint, deep), false, change.toString());
    }
  });

  it('a directory entered through a symlink whose target changes no longer holds', () => {
    const link = join(root, 'link');
    symlinkSync(repo, link);
    const layers = layersIn(link);
    assert.ok(footprintHolds(layers.footprint, link));
    rmSync(link);
    symlinkSync(root, link);
    assert.equal(footprintHolds(layers.footprint, link), false);
  });
});
