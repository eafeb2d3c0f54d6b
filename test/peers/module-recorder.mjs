// `node --import` this file to have every file module the process loads appended, one URL per
// line, to the file named by CODEX_AUTH_TEST_MODULE_LOG. The hook runs on Node's loader thread.
import { register } from 'node:module';

const hook = `
import { appendFileSync } from 'node:fs';
export async function load(url, context, next) {
  if (url.startsWith('file:')) appendFileSync(process.env.CODEX_AUTH_TEST_MODULE_LOG, url + '\\n');
  return next(url, context);
}
`;
register(`data:text/javascript,${encodeURIComponent(hook)}`);
