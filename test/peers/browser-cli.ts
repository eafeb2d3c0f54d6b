// `$BROWSER` entry point (see makeBrowserCommand): browser-cli.ts --mode <mode> [--log <file>] <url>
import { appendFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { authorizationUrlOf, BROWSER_MODES, deliverRedirect, driveAuthorization } from './browser.ts';
import type { BrowserMode } from './browser.ts';

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    options: { mode: { type: 'string', default: 'approve' }, log: { type: 'string' } },
    allowPositionals: true,
  });
  const mode = values.mode as BrowserMode;
  if (!BROWSER_MODES.includes(mode) || !positionals[0]) throw new Error('usage: browser-cli.ts --mode <mode> [--log <file>] <url>');
  const url = authorizationUrlOf(positionals[0]);
  if (values.log) appendFileSync(values.log, `${url}\n`);
  if (mode === 'record-only') return;
  const redirect = await driveAuthorization(url, mode);
  await deliverRedirect(redirect);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
