// Codex's shared background server (0.157 and later): whether one runs for a CODEX_HOME, and
// which of codex-auth's variables the launch that started it left in its environment. It
// resolves bearer_token_env_var from that environment for as long as it runs, so a token put
// there by an older setup goes stale there; `codex app-server daemon restart` starts it afresh.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface BackgroundServer {
  pid: number;
  /** Variables of its environment that look like codex-auth's, with their values; undefined when unreadable (no /proc). */
  codexAuthVariables?: Record<string, string>;
}

const OUR_VARIABLE = /^CODEX_AUTH_[A-Z0-9_]+_TOKEN$/;

/** The running background server of `codexHome`, if any. */
export function findBackgroundServer(codexHome: string): BackgroundServer | undefined {
  let pid: number;
  try {
    const record = JSON.parse(readFileSync(join(codexHome, 'app-server-daemon', 'daemon.pid'), 'utf8')) as { pid?: unknown };
    if (typeof record.pid !== 'number' || !Number.isInteger(record.pid) || record.pid <= 0) return undefined;
    pid = record.pid;
    process.kill(pid, 0);
  } catch {
    return undefined;
  }
  // A pid file outliving its server may name a reused pid: only an app server counts.
  const commandLine = readProc(pid, 'cmdline');
  if (commandLine !== undefined && !commandLine.includes('app-server')) return undefined;
  const environ = readProc(pid, 'environ');
  if (environ === undefined) return { pid };
  const codexAuthVariables: Record<string, string> = {};
  for (const pair of environ.split('\0')) {
    const split = pair.indexOf('=');
    const name = pair.slice(0, split);
    if (split > 0 && OUR_VARIABLE.test(name)) codexAuthVariables[name] = pair.slice(split + 1);
  }
  return { pid, codexAuthVariables };
}

function readProc(pid: number, file: string): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'latin1');
  } catch {
    return undefined;
  }
}
