// A repository whose team committed an MCP server to `.codex/config.toml`, laid out the way Codex
// 0.171 finds a project: a git repository (its root is where trust is looked up) trusted, or not,
// in the user's config.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeCodexConfig } from '../peers/model-server.ts';

export interface Project {
  dir: string;
  configFile: string;
  committed: string;
}

/** `dir` made a git repository with the team's entry for `demo` committed. */
export function commitServer(dir: string, mcpUrl: string): Project {
  mkdirSync(join(dir, '.codex'), { recursive: true });
  mkdirSync(join(dir, '.git', 'objects'), { recursive: true });
  mkdirSync(join(dir, '.git', 'refs'), { recursive: true });
  writeFileSync(join(dir, '.git', 'HEAD'), 'ref: refs/heads/main\n');
  const committed = `# the team's MCP servers\n[mcp_servers.demo]\nurl = "${mcpUrl}"\nrequired = true\ndefault_tools_approval_mode = "approve"\n`;
  const configFile = join(dir, '.codex', 'config.toml');
  writeFileSync(configFile, committed);
  return { dir, configFile, committed };
}

/** The user's config line that trusts (or distrusts) the project at `dir`. */
export function trustToml(dir: string, trusted = true): string {
  return `[projects."${dir}"]\ntrust_level = "${trusted ? 'trusted' : 'untrusted'}"\n`;
}

/**
 * `<root>/repo` (with `src/deep` in it) committing `demo` at `mcpUrl`, and the user's config
 * pointing Codex at the fake model and trusting the project or not (it names no server).
 */
export function makeProject(root: string, codexHome: string, mcpUrl: string, options: { trusted: boolean; modelBaseUrl: string }): Project {
  const dir = join(root, 'repo');
  mkdirSync(join(dir, 'src', 'deep'), { recursive: true });
  const project = commitServer(dir, mcpUrl);
  writeCodexConfig(codexHome, { modelBaseUrl: options.modelBaseUrl, extraToml: trustToml(dir, options.trusted) });
  return project;
}
