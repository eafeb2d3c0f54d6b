// Property test: on thousands of generated Codex-like config files, setting then removing
// bearer_token_env_var changes exactly that value and restores the bytes; the helper takes the
// variable's line in place and gives it back byte for byte; broken files are refused.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import '../property-seed.ts';
import { parseTomlValues } from '../../../src/codex/config.ts';
import { removeEntryKey, replaceEntryKey, setEntryString } from '../../../src/codex/rewrite.ts';
import { BEARER_KEY, HELPER_KEY } from '../../../src/codex/wiring.ts';
import { isCodexAuthError } from '../../../src/errors.ts';

/** Cases per property; quoted on the figures page. Sized for well under a minute on 2 cores. */
export const PROPERTY_RUNS = { roundTrip: 4000, helper: 2000, brokenInput: 1000 } as const;
const VAR = 'CODEX_AUTH_SERVER_TOKEN';
const USER_VAR = 'USER_SET_TOKEN';
const HELPER = "/usr/bin/node '/opt/codex auth/bin/codex-auth.js' headers demo --config /h/.codex/config.toml";

after(() => {
  const total = PROPERTY_RUNS.roundTrip + PROPERTY_RUNS.helper + PROPERTY_RUNS.brokenInput;
  console.log(`rewrite property cases run: ${total} (round trip ${PROPERTY_RUNS.roundTrip}, helper ${PROPERTY_RUNS.helper}, broken input ${PROPERTY_RUNS.brokenInput})`);
});

// ---- building blocks ----------------------------------------------------------------------

const printable = (maxLength: number) =>
  fc.string({ unit: 'grapheme', maxLength }).map((s) => s.replace(/[\u0000-\u001f\u007f]/g, ''));
const space = fc.constantFrom('', ' ', '  ', '\t', ' \t ');
const comment = printable(20).map((text) => `#${text}`);
const trailing = fc.option(fc.tuple(space, comment).map(([gap, text]) => ` ${gap}${text}`), { nil: '' });
const fillerLine = fc.oneof(comment, space, space.chain((indent) => comment.map((text) => indent + text)));
const filler = fc.array(fillerLine, { maxLength: 2 });

const basicString = printable(12).map((s) => JSON.stringify(s));
const literalString = printable(12).map((s) => `'${s.replace(/'/g, '')}'`);
const scalar = fc.oneof(
  basicString, literalString,
  fc.integer({ min: -1e6, max: 1e6 }).map(String),
  fc.constantFrom('true', 'false', '3.25', '1_000', '0x1F', '-0.5e3', '1979-05-27T07:32:00Z'),
);
const inlineArray = fc.array(scalar, { maxLength: 3 }).map((items) => `[${items.join(', ')}]`);
const inlineTable = fc.array(scalar, { minLength: 1, maxLength: 3 })
  .map((items) => `{ ${items.map((item, i) => `f${i} = ${item}`).join(', ')} }`);
// @iarna/toml rejects a local date followed by `,` or `}`, so local dates only stand alone.
const singleLineValue = fc.oneof({ weight: 4, arbitrary: scalar }, fc.constant('2024-01-15'), { weight: 1, arbitrary: inlineArray }, { weight: 1, arbitrary: inlineTable });
/** A value spanning several lines: an array with comments between its items. */
const multiLineArray = fc.tuple(fc.array(fc.tuple(space, scalar, trailing), { minLength: 1, maxLength: 3 }), space)
  .map(([items, indent]) => ['[', ...items.map(([gap, item, note]) => `${gap}  ${item},${note}`), `${indent}]`]);

/** `key = value`, possibly over several lines, with odd spacing and a trailing comment. */
const keyValue = (key: string, value: fc.Arbitrary<string | string[]> = fc.oneof(singleLineValue, multiLineArray)) =>
  fc.tuple(space, space, space, value, trailing).map(([indent, before, afterEq, v, note]) => {
    const lines = typeof v === 'string' ? [v] : v;
    const first = `${indent}${key}${before}=${afterEq === '' ? ' ' : afterEq}${lines[0]}`;
    return lines.length === 1 ? [first + note] : [first, ...lines.slice(1, -1), lines.at(-1)! + note];
  });

/** Lines of `count` key-values named `<prefix>0..` with comments and blank lines between them. */
const body = (prefix: string, maxCount = 3) =>
  fc.integer({ min: 0, max: maxCount }).chain((count) =>
    fc.tuple(...Array.from({ length: count }, (_, i) => fc.tuple(filler, keyValue(`${prefix}${i}`))), filler)
      .map((parts) => parts.flat(2) as string[]));

const tableBlock = (header: string) =>
  fc.tuple(space, trailing, body('k')).map(([indent, note, lines]) => [`${indent}${header}${note}`, ...lines]);

/** Tables and arrays of tables around the server, never under mcp_servers. */
const otherTables = (tag: string) =>
  fc.array(fc.oneof(
    fc.constantFrom('profiles.fast', 'model_providers.fake', 'tools', 'shell_environment_policy').map((name) => `[${name}_${tag}]`),
    fc.constant(`[[profiles.list_${tag}]]`),
  ), { maxLength: 3 }).chain((headers) => fc.tuple(...headers.map((header, i) => tableBlock(header.replace(']', `_${i}]`)))))
    .map((blocks) => blocks.flat());

// ---- the server entry in each form ----------------------------------------------------------

const serverName = fc.constantFrom('fastmail', 'my-server_2', 'quoted.name', 'ünï 😀', 'A');
const keyOf = (name: string) => (/^[A-Za-z0-9_-]+$/.test(name) ? name : JSON.stringify(name));
const url = fc.constantFrom('"https://api.fastmail.com/mcp"', "'https://127.0.0.1:8443/mcp'");
const existing = fc.boolean();

interface Doc {
  lines: string[];
  name: string;
  hadBearer: boolean;
}

const tableForm = fc.tuple(serverName, url, existing, body('x_'), filler, fc.boolean(), body('o'))
  .chain(([name, u, hadBearer, extra, gap, withOauth, oauthBody]) =>
    fc.tuple(keyValue('url', fc.constant(u)), keyValue('bearer_token_env_var', fc.constant(`"${USER_VAR}"`)), trailing)
      .map(([urlLines, bearerLines, note]) => ({
        name, hadBearer,
        root: [] as string[],
        section: [
          `[mcp_servers.${keyOf(name)}]${note}`, ...gap, ...urlLines, ...(hadBearer ? bearerLines : []), ...extra,
          ...(withOauth ? [`[mcp_servers.${keyOf(name)}.oauth]`, 'client_id = "abc"', ...oauthBody] : []),
        ],
      })));

const inlineForm = fc.tuple(serverName, url, existing, fc.boolean(), trailing, inlineArray)
  .map(([name, u, hadBearer, atRoot, note, scopes]) => {
    const items = [`url = ${u}`, `scopes = ${scopes}`, ...(hadBearer ? [`bearer_token_env_var = "${USER_VAR}"`] : [])];
    const line = `${keyOf(name)} = { ${items.join(', ')} }${note}`;
    return atRoot
      ? { name, hadBearer, root: [`mcp_servers.${line}`], section: [] }
      : { name, hadBearer, root: [], section: ['[mcp_servers]', 'other = { command = "npx" }', line] };
  });

const dottedForm = fc.tuple(serverName, url, existing, fc.boolean(), filler, keyValue('z'))
  .map(([name, u, hadBearer, atRoot, gap, between]) => {
    const prefix = atRoot ? `mcp_servers.${keyOf(name)}` : keyOf(name);
    const lines = [`${prefix}.url = ${u}`, ...gap, ...between, `${prefix}.required = false`,
      ...(hadBearer ? [`${prefix}.bearer_token_env_var = "${USER_VAR}"`] : [])];
    return atRoot ? { name, hadBearer, root: lines, section: [] } : { name, hadBearer, root: [], section: ['[mcp_servers]', ...lines] };
  });

const codexLikeDoc: fc.Arbitrary<Doc & { eol: string; finalEol: boolean }> = fc.tuple(
  fc.oneof(tableForm, inlineForm, dottedForm), body('root_'), otherTables('before'), otherTables('after'),
  fc.constantFrom('\n', '\r\n'), fc.boolean(),
).map(([server, rootLines, before, afterTables, eol, finalEol]) => ({
  name: server.name, hadBearer: server.hadBearer, eol, finalEol,
  lines: [...rootLines, ...server.root, ...before, ...server.section, '[mcp_servers.stdio_one]', 'command = "x"', ...afterTables],
}));

const render = (doc: { lines: string[]; eol: string; finalEol: boolean }) =>
  doc.lines.join(doc.eol) + (doc.finalEol ? doc.eol : '');

// ---- the properties -----------------------------------------------------------------------

describe('rewrite on generated Codex-like config files', () => {
  it(`set then remove restores the bytes, and set changes exactly one value (${PROPERTY_RUNS.roundTrip} cases)`, () => {
    fc.assert(fc.property(codexLikeDoc, (doc) => {
      const text = render(doc);
      const set = setEntryString(text, doc.name, BEARER_KEY, VAR);
      assert.equal(set.changed, true);
      assert.equal(set.previousValue, doc.hadBearer ? USER_VAR : undefined);

      const expected = parseTomlValues(text) as { mcp_servers: Record<string, Record<string, unknown>> };
      expected.mcp_servers[doc.name]!.bearer_token_env_var = VAR;
      assert.deepEqual(parseTomlValues(set.text), expected);
      if (doc.eol === '\r\n') assert.equal(/(?<!\r)\n/.test(set.text), false, 'a bare LF appeared in a CRLF file');

      assert.deepEqual(setEntryString(set.text, doc.name, BEARER_KEY, VAR), { text: set.text, changed: false, previousValue: VAR });
      const undone = removeEntryKey(set.text, doc.name, BEARER_KEY, doc.hadBearer ? USER_VAR : undefined);
      assert.equal(undone.text, text);
    }), { numRuns: PROPERTY_RUNS.roundTrip });
  });

  it(`the helper replaces the variable's line in place and unpatch gives back the original bytes (${PROPERTY_RUNS.helper} cases)`, () => {
    fc.assert(fc.property(codexLikeDoc, (doc) => {
      const text = render(doc);
      const values = (source: string) => parseTomlValues(source) as { mcp_servers: Record<string, Record<string, unknown>> };
      // An earlier release's wiring (a new line), or the user's own line replaced with --force.
      const withVariable = doc.hadBearer ? text : setEntryString(text, doc.name, BEARER_KEY, VAR).text;
      const moved = replaceEntryKey(withVariable, doc.name, BEARER_KEY, { key: HELPER_KEY, value: HELPER });
      const expected = values(text);
      delete expected.mcp_servers[doc.name]!.bearer_token_env_var;
      expected.mcp_servers[doc.name]!.http_headers_helper = HELPER;
      assert.deepEqual(values(moved.text), expected);
      assert.equal(moved.text.split(/\n/).length, withVariable.split(/\n/).length, 'the same number of lines');
      const undone = doc.hadBearer
        ? replaceEntryKey(moved.text, doc.name, HELPER_KEY, { text: moved.replacedText! })
        : removeEntryKey(moved.text, doc.name, HELPER_KEY);
      assert.equal(undone.text, text);
    }), { numRuns: PROPERTY_RUNS.helper });
  });

  const breakage = fc.constantFrom('= "no key"', 'key = ', '[unclosed', 'two words = 1', 'x = "unterminated', 'y = [1, 2');

  it(`refuses broken TOML with a clear error (${PROPERTY_RUNS.brokenInput} cases)`, () => {
    fc.assert(fc.property(codexLikeDoc, breakage, fc.nat(), (doc, broken, at) => {
      // Insert between whole lines that are not inside a multi-line value.
      const boundaries = doc.lines.flatMap((line, i) => (/^\s*(\[|#|$)/.test(line) ? [i] : []));
      const index = boundaries[at % boundaries.length] ?? 0;
      const text = render({ ...doc, lines: [...doc.lines.slice(0, index), broken, ...doc.lines.slice(index)] });
      assert.throws(() => setEntryString(text, doc.name, BEARER_KEY, VAR), (error: unknown) => {
        assert.ok(isCodexAuthError(error));
        assert.equal(error.kind, 'config');
        assert.equal(error.step, 'rewrite');
        assert.equal(error.server, doc.name);
        assert.match(error.message, /not valid TOML/);
        return true;
      });
    }), { numRuns: PROPERTY_RUNS.brokenInput });
  });
});
