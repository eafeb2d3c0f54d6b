// The entry point. A plain `run` (the hot path, behind the `codex` alias) is parsed by hand
// and never loads yargs; everything else goes through the yargs command line (commands.ts).
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { executeRun, parsePlainRun } from './run-command.ts';

/** This CLI's own files, so that a `codex` shim leading back to codex-auth is skipped. */
function selfPaths(): string[] {
  const here = fileURLToPath(import.meta.url);
  const paths = [process.argv[1] ?? '', here].filter(Boolean);
  return paths.flatMap((path) => { try { return [realpathSync(path)]; } catch { return []; } });
}

// `codex-auth status | head` closes the pipe early: that is the reader's choice, not a failure.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

const argv = process.argv.slice(2);
const run = parsePlainRun(argv);
process.exitCode = run ? await executeRun(run, selfPaths()) : await (await import('./commands.ts')).runCommandLine(argv, selfPaths());
