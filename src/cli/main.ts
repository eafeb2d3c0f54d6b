// The entry point. The two commands on hot paths are parsed by hand and never load yargs: a
// plain `run` (behind the `codex` alias) and `headers` (which Codex runs for every new thread).
// Everything else goes through the yargs command line (commands.ts).
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createContext, type Program } from './context.ts';

/** This CLI as the system sees it: its own files (a `codex` shim leading back here is skipped) and how to start it again. */
function thisProgram(): Program {
  const here = fileURLToPath(import.meta.url);
  const selfPaths = [process.argv[1] ?? '', here].filter(Boolean).flatMap((path) => { try { return [realpathSync(path)]; } catch { return []; } });
  return { node: process.execPath, script: selfPaths[0] ?? here, selfPaths };
}

/**
 * `headers <name> [--config <file>] [--state-dir <dir>]`, exactly as codex-auth writes it into
 * config.toml; undefined for anything else (yargs then answers, `--help` included).
 */
function parseHeadersArgs(argv: string[]): { name: string; config?: string; stateDir?: string } | undefined {
  const [command, name, ...rest] = argv;
  if (command !== 'headers' || name === undefined || name.startsWith('-') || rest.length % 2 !== 0) return undefined;
  const parsed: { name: string; config?: string; stateDir?: string } = { name };
  for (let i = 0; i < rest.length; i += 2) {
    const [option, value] = [rest[i], rest[i + 1]!];
    if (option === '--config') parsed.config = value;
    else if (option === '--state-dir') parsed.stateDir = value;
    else return undefined;
  }
  return parsed;
}

async function plainHeaders(args: { name: string; config?: string; stateDir?: string }): Promise<number> {
  const env = args.stateDir ? { ...process.env, CODEX_AUTH_HOME: args.stateDir } : process.env;
  const ctx = createContext(args.config ? { config: args.config } : {}, thisProgram(), process, env);
  return (await import('./headers.ts')).runHeaders(ctx, { name: args.name });
}

async function plainRunOrCommandLine(argv: string[]): Promise<number> {
  const { parsePlainRun, executeRun } = await import('./run-command.ts');
  const run = parsePlainRun(argv);
  return run ? executeRun(run, thisProgram()) : (await import('./commands.ts')).runCommandLine(argv, thisProgram());
}

const argv = process.argv.slice(2);
const headers = parseHeadersArgs(argv);
process.exitCode = headers ? await plainHeaders(headers) : await plainRunOrCommandLine(argv);
