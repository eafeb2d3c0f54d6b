// Which config files Codex reads from a directory, as Codex 0.171 does (checked with the real
// binary, see docs/project-config.md): the user's config.toml, then the `.codex/config.toml` of
// every directory from the project root down to the current directory, each over the last,
// key by key, when the project is trusted.
import fs from 'node:fs';
import path from 'node:path';
import { parseCodexConfig, toEntry, type CodexConfig, type McpServerEntry } from './config.ts';
import { isLookOfFile, look, realDirectory, type LayerFootprint } from './layer-footprint.ts';

export interface ProjectLayers {
  /** The directory whose `[projects."<dir>"] trust_level` decides: the git root, else the directory itself. */
  trustDir: string;
  trusted: boolean;
  /** The `.codex/config.toml` files between the project root and the directory, outermost first. */
  files: string[];
  /** Everything the decision looked at, so a cached answer can be checked without deciding again. */
  footprint: LayerFootprint;
}

type Table = Record<string, unknown>;

/** Codex's project root markers: `project_root_markers` in the user's config, else `.git`. */
function rootMarkers(user: CodexConfig): string[] {
  const markers = user.data.project_root_markers;
  return Array.isArray(markers) && markers.every((marker) => typeof marker === 'string') ? markers : ['.git'];
}

function ancestors(dir: string): string[] {
  const chain = [dir];
  for (let parent = path.dirname(dir); parent !== chain.at(-1); parent = path.dirname(parent)) chain.push(parent);
  return chain;
}

/** A git work tree's root: `.git` as a repository directory (with HEAD) or as a worktree's file. */
function gitRoot(dir: string, exists: (file: string) => boolean, isFile: (file: string) => boolean): string | undefined {
  return ancestors(dir).find((candidate) => {
    const dotGit = path.join(candidate, '.git');
    return exists(path.join(dotGit, 'HEAD')) || isFile(dotGit);
  });
}

/** The project config files Codex would load in `cwd` (the user's config tells trust and markers). */
export function projectLayers(user: CodexConfig, cwd: string): ProjectLayers {
  const dir = realDirectory(cwd) ?? path.resolve(cwd);
  const seen: Record<string, string> = {};
  const lookAt = (file: string) => (seen[file] ??= look(file));
  const exists = (file: string) => lookAt(file) !== '-';
  const isFile = (file: string) => isLookOfFile(lookAt(file));
  const markers = rootMarkers(user);
  const chain = ancestors(dir);
  const rootIndex = chain.findIndex((candidate) => markers.some((marker) => exists(path.join(candidate, marker))));
  const between = rootIndex === -1 ? [dir] : chain.slice(0, rootIndex + 1);
  const trustDir = gitRoot(dir, exists, isFile) ?? dir;
  const projects = isTable(user.data.projects) ? user.data.projects : {};
  const trust = projects[trustDir];
  const userConfigDir = path.dirname(path.resolve(user.path));
  const files = between.reverse()
    .map((candidate) => path.join(candidate, '.codex', 'config.toml'))
    // The user's own config.toml is a layer already, when CODEX_HOME is a project's `.codex`.
    .filter((file) => path.dirname(file) !== userConfigDir && isFile(file));
  return { trustDir, trusted: isTable(trust) && trust.trust_level === 'trusted', files, footprint: { cwd, dir, seen } };
}

export interface LayeredEntry extends McpServerEntry {
  /** The file the entry's url comes from: the user's config.toml or a project's. */
  source: string;
  /** True when the user's config.toml holds no transport for it (only a project gives it one). */
  projectOnly: boolean;
}

export interface LayeredConfig {
  user: CodexConfig;
  project: ProjectLayers;
  /** Every entry Codex uses here, merged as Codex merges them. */
  servers: LayeredEntry[];
}

/** The user's config with the trusted project's layers merged over it, key by key, as Codex does. */
export function layeredConfig(user: CodexConfig, cwd: string): LayeredConfig {
  const project = projectLayers(user, cwd);
  const sources = new Map<string, string>();
  const hasTransport = (data: Table, name: string) => {
    const servers = isTable(data.mcp_servers) ? data.mcp_servers : {};
    const entry = servers[name];
    return isTable(entry) && (typeof entry.url === 'string' || typeof entry.command === 'string');
  };
  let merged: Table = user.data;
  for (const server of user.servers) if (hasTransport(user.data, server.name)) sources.set(server.name, user.path);
  if (project.trusted) {
    for (const file of project.files) {
      const layer = parseCodexConfig(file, fs.readFileSync(file, 'utf8'));
      for (const server of layer.servers) if (hasTransport(layer.data, server.name)) sources.set(server.name, file);
      merged = mergeTables(merged, { mcp_servers: layer.data.mcp_servers ?? {} });
    }
  }
  const servers = Object.entries(isTable(merged.mcp_servers) ? merged.mcp_servers : {}).map(([name, value]) => ({
    ...toEntry(name, value),
    source: sources.get(name) ?? user.path,
    projectOnly: !hasTransport(user.data, name),
  }));
  return { user, project, servers };
}

function mergeTables(base: Table, over: Table): Table {
  const result: Table = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const current = result[key];
    result[key] = isTable(current) && isTable(value) ? mergeTables(current, value) : value;
  }
  return result;
}

function isTable(value: unknown): value is Table {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

/** config.toml with its entries as Codex merges them in `cwd` (the file's text and data stay the user's own). */
export type LayeredCodexConfig = Omit<CodexConfig, 'servers'> & { servers: LayeredEntry[] };

export function withLayers(user: CodexConfig, cwd: string): LayeredCodexConfig {
  return { ...user, servers: layeredConfig(user, cwd).servers };
}

/** The project file that defines `name` while Codex ignores it here because the project is not trusted. */
export function untrustedDefinition(layered: LayeredConfig, name: string): string | undefined {
  if (layered.project.trusted) return undefined;
  return layered.project.files.find((file) => {
    const servers = parseCodexConfig(file, fs.readFileSync(file, 'utf8')).servers;
    return servers.some((server) => server.name === name);
  });
}

/** The project file each entry's url comes from in `cwd`, for the entries a trusted project defines there. */
export function projectSources(user: CodexConfig | undefined, cwd: string): Map<string, string> {
  if (!user) return new Map();
  return new Map(layeredConfig(user, cwd).servers.filter((entry) => entry.source !== user.path).map((entry) => [entry.name, entry.source]));
}
