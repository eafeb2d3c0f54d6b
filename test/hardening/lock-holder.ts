// A separate process that takes a server's lock the way codex-auth does
// (proper-lockfile, lock directory `<locks>/<name>.lock`) and holds it until killed.
import { execa, type ResultPromise } from 'execa';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { ROOT } from '../e2e/harness.ts';

export interface LockHolder {
  process: ResultPromise;
  lockDir: string;
}

export async function holdLock(stateDir: string, serverName: string): Promise<LockHolder> {
  const locksDir = join(stateDir, 'locks');
  mkdirSync(locksDir, { recursive: true, mode: 0o700 });
  const target = join(locksDir, serverName);
  const lockfilePath = createRequire(join(ROOT, 'package.json')).resolve('proper-lockfile');
  const script = `
    const lockfile = require(${JSON.stringify(lockfilePath)});
    lockfile.lock(${JSON.stringify(target)}, { realpath: false, stale: 10000, update: 1000 })
      .then(() => process.stdout.write('locked\\n'), (error) => { console.error(error.message); process.exit(1); });
    setInterval(() => undefined, 1000);`;
  const child = execa(process.execPath, ['-e', script], { reject: false, stdin: 'ignore' });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('locked')) resolve();
    });
    void child.then((result) => reject(new Error(`lock holder exited early: ${String(result.stderr)}`)));
  });
  return { process: child, lockDir: `${target}.lock` };
}
