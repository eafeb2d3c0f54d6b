// Where things sit in config.toml, as UTF-16 offsets into the text. Built on toml-patch's
// concrete syntax tree, which keeps every node's position; @iarna/toml only gives values.
import { parseDocument } from '@decimalturn/toml-patch';

export interface Span {
  start: number;
  end: number;
}

/** One `key = value`, with its key path relative to the table it is written in. */
export interface KeyValueSite {
  span: Span;
  valueSpan: Span;
  keyPath: string[];
  contextPath: string[];
  /** Inline-table items only: whether a comma follows the item. */
  comma?: boolean;
}

/**
 * How a server entry is written: `[mcp_servers.x]` (table), `x = { ... }` (inline),
 * `mcp_servers.x.url = ...` (dotted), or inside `mcp_servers = { x = { ... } }` (nested-inline).
 */
export type EntryForm = 'table' | 'inline' | 'dotted' | 'nested-inline';

export interface ServerSite {
  form: EntryForm;
  /** The `[mcp_servers.x]` header (table form only). */
  header?: Span;
  /** The entry's own key-values in file order: the table's rows, the dotted lines, or the inline items. */
  keyValues: KeyValueSite[];
}

// Minimal shapes of the toml-patch syntax tree nodes read here.
interface Position { line: number; column: number }
interface Node { type: string; loc: { start: Position; end: Position } }
interface KeyNode extends Node { value: string[] }
interface KeyValueNode extends Node { key: KeyNode; value: Node & { items?: InlineItemNode[] } }
interface InlineItemNode extends Node { item: KeyValueNode; comma: boolean }
interface BlockNode extends Node { key?: { item: KeyNode }; items?: Node[] }

const SERVERS = 'mcp_servers';

/** Every server entry in the text, by name. Throws toml-patch's error if it cannot parse the text. */
export function locateServers(text: string): Map<string, ServerSite> {
  const offsetOf = offsetFinder(text);
  const sites = new Map<string, ServerSite>();
  const siteFor = (name: string, form: EntryForm): ServerSite => {
    let site = sites.get(name);
    if (!site) sites.set(name, (site = { form, keyValues: [] }));
    return site;
  };
  const span = (node: Node): Span => ({ start: offsetOf(node.loc.start), end: offsetOf(node.loc.end) });
  const kvSite = (kv: KeyValueNode, contextPath: string[]): KeyValueSite => ({
    span: span(kv), valueSpan: span(kv.value), keyPath: kv.key.value, contextPath,
  });

  for (const { contextPath, rows, header } of sections(parseDocument(text).cst as BlockNode[])) {
    const serverName = serverNameOfTable(contextPath);
    if (serverName !== undefined) {
      const site = siteFor(serverName, 'table');
      site.form = 'table';
      site.header = span(header!);
      site.keyValues.push(...rows.map((kv) => kvSite(kv, contextPath)));
      continue;
    }
    // Rows of deeper tables such as [mcp_servers.x.oauth] belong to a subtable, not to the entry itself.
    if (contextPath.length >= 2) continue;
    for (const kv of rows) {
      const fullPath = [...contextPath, ...kv.key.value];
      if (fullPath[0] !== SERVERS) continue;
      const name = fullPath[1];
      if (name === undefined) {
        for (const item of kv.value.items ?? []) siteFor(item.item.key.value[0]!, 'nested-inline');
      } else if (fullPath.length === 2 && kv.value.type === 'InlineTable') {
        siteFor(name, 'inline').keyValues.push(
          ...(kv.value.items ?? []).map((item) => ({ ...kvSite(item.item, fullPath), comma: item.comma })),
        );
      } else if (fullPath.length > 2) {
        siteFor(name, 'dotted').keyValues.push(kvSite(kv, contextPath));
      }
    }
  }
  return sites;
}

/** The root rows and each `[table]` with its rows; arrays of tables cannot hold servers and are skipped. */
function* sections(blocks: BlockNode[]): Generator<{ contextPath: string[]; rows: KeyValueNode[]; header?: Node }> {
  const rootRows = blocks.filter((block): block is BlockNode & KeyValueNode => block.type === 'KeyValue');
  yield { contextPath: [], rows: rootRows };
  for (const block of blocks) {
    if (block.type !== 'Table' || !block.key) continue;
    const rows = (block.items ?? []).filter((item): item is KeyValueNode => item.type === 'KeyValue');
    yield { contextPath: block.key.item.value, rows, header: block.key as unknown as Node };
  }
}

function serverNameOfTable(path: string[]): string | undefined {
  return path.length === 2 && path[0] === SERVERS ? path[1] : undefined;
}

/** Converts toml-patch positions (1-based line, UTF-16 column) to offsets. */
function offsetFinder(text: string): (position: Position) => number {
  const lineStarts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) lineStarts.push(i + 1);
  return ({ line, column }) => lineStarts[line - 1]! + column;
}
