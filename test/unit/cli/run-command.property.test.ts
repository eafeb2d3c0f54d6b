// Property test: the hand-parsed `run` fast path (parsePlainRun, behind every codex launch) must
// answer exactly as the yargs command line does for the same argv. Whatever the fast path
// accepts, yargs accepts with the same options and the same child command; whatever yargs
// refuses, the fast path leaves to yargs (so the person gets the usage error).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import '../property-seed.ts';
import { parseAndRun, UsageError } from '../../../src/cli/commands.ts';
import { parsePlainRun, type RunArgs } from '../../../src/cli/run-command.ts';

const PROGRAM = { node: process.execPath, script: 'codex-auth', selfPaths: [] };

/** What yargs makes of argv: the arguments `run` would start with, or the usage error. */
async function viaYargs(argv: string[]): Promise<RunArgs | UsageError> {
  let started: RunArgs | undefined;
  try {
    await parseAndRun(argv, PROGRAM, {
      run: async (args) => {
        started = args;
        return 0;
      },
    });
  } catch (error) {
    if (error instanceof UsageError) return error;
    throw error;
  }
  assert.ok(started, `yargs neither ran nor refused ${JSON.stringify(argv)}`);
  return started;
}

// Words people type around `run` (and some they mistype); no other command name, no --help.
const word = fc.constantFrom(
  'run', '--strict', '--no-strict', '--strict=true', '--strict=false', '--strict=maybe', '--no-strict=false', '--proxy', '--no-proxy', '--proxy=false',
  '--login', '--no-login', '--debug', '--no-debug', '--color', '--no-color', '--refresh-margin', '--refresh-margin=3',
  '5', '0', '0.5', '-1', 'abc', '1e3', '--config', '--config=/tmp/c.toml', '/tmp/c.toml', '--', 'codex', 'exec',
  '--model', 'x', '--bogus', '-s', '-', 'sh', '-c', 'echo hi',
);
const argvs = fc.oneof(
  fc.array(word, { maxLength: 8 }),
  fc.tuple(fc.array(word, { maxLength: 3 }), fc.array(word, { maxLength: 6 })).map(([before, after]) => [...before, 'run', ...after]),
);

describe('run fast path and yargs agree', () => {
  it('examples people type', async () => {
    for (const argv of [
      ['run'],
      ['run', '--', 'codex', 'exec', '--model', 'x'],
      ['--debug', 'run', '--no-proxy', '--refresh-margin', '30', 'codex'],
      ['run', '--strict', '--config', '/tmp/c.toml', '--', 'sh', '-c', 'echo hi'],
      // Given twice, an option takes its last value (fast-check found yargs making an array of it).
      ['run', '--config', 'run', '--config', 'run'],
      ['run', '--refresh-margin', '3', '--refresh-margin', '5', '--strict', '--no-strict'],
    ]) {
      const plain = parsePlainRun(argv);
      assert.ok(plain, `the fast path takes ${JSON.stringify(argv)}`);
      assert.deepEqual(await viaYargs(argv), plain);
    }
    assert.equal(parsePlainRun(['run', '--bogus']), undefined);
    assert.ok((await viaYargs(['run', '--bogus'])) instanceof UsageError);
  });

  it('for generated command lines: what the fast path accepts, yargs parses the same; what yargs refuses, the fast path does not take', async () => {
    await fc.assert(
      fc.asyncProperty(argvs, async (argv) => {
        const plain = parsePlainRun(argv);
        if (plain === undefined) return;
        const parsed = await viaYargs(argv);
        assert.ok(!(parsed instanceof UsageError), `yargs refuses ${JSON.stringify(argv)} (${parsed instanceof UsageError ? parsed.message : ''}) but the fast path ran it`);
        assert.deepEqual(parsed, plain, JSON.stringify(argv));
      }),
      { numRuns: 1500 },
    );
  });
});
