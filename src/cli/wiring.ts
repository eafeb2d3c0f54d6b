// The wiring plan for this machine: which wiring config.toml gets (decided by the Codex in use,
// codex/wiring.ts) and the helper command line of this install of codex-auth.
import { resolveCommand } from '../codex/launch.ts';
import { codexVersion } from '../codex/versions.ts';
import { chooseWiring, helperCommandLine, type WiringPlan } from '../codex/wiring.ts';
import type { CliContext } from './context.ts';

/** The version of the codex this environment would start, undefined when there is none or it cannot be told. */
export function codexInUse(ctx: CliContext): { file?: string; version?: string } {
  let file: string;
  try {
    file = resolveCommand('codex', ctx.env, ctx.program.selfPaths);
  } catch {
    return {};
  }
  const version = codexVersion(file, ctx.paths.codexVersions);
  return version ? { file, version } : { file };
}

export function wiringPlan(ctx: CliContext, version: string | undefined): WiringPlan {
  const helperInUse = ctx.store.knownServers().some((state) => state.rewrite?.wiring === 'helper');
  const location = { node: ctx.program.node, script: ctx.program.script, configPath: ctx.configPath, stateDir: ctx.paths.home };
  return {
    wiring: chooseWiring(version, helperInUse),
    helperCommand: (serverName) => helperCommandLine(location, serverName),
    ...(version ? { decidedFor: version } : {}),
  };
}
