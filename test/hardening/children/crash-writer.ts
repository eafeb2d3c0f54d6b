// Child for the crash test: writes one kind of file over and over through the
// real code path, alternating between two known versions, until it is SIGKILLed.
// Usage: crash-writer.mjs <state|env|config> <stateDir> <configPath>
import { rewriteEntries, unpatchEntries } from '../../../src/codex/apply.ts';
import { writeEnvFile } from '../../../src/codex/envfile.ts';
import { statePaths } from '../../../src/store/paths.ts';
import { StateStore } from '../../../src/store/state.ts';
import { grantVersion, envVersion, HELPER_PLAN } from './versions.ts';

const [kind, stateDir, configPath] = process.argv.slice(2) as [string, string, string];
const store = new StateStore(statePaths(stateDir));

const writers: Record<string, (i: number) => void> = {
  state: (i) => store.saveGrant('demo', grantVersion(i % 2)),
  env: (i) => writeEnvFile(store.paths.envFile, envVersion(i % 2)),
  config: (i) => (i % 2 === 0 ? rewriteEntries(configPath, ['demo'], store, { force: false, now: 1, plan: HELPER_PLAN }) : unpatchEntries(configPath, ['demo'], store)),
};

const write = writers[kind];
if (!write) throw new Error(`unknown kind ${kind}`);
process.stdout.write('ready\n');
for (let i = 1; ; i++) write(i);
