// Bundles a child script with esbuild once per test file, so that the hundreds of
// processes a crash test starts each load in milliseconds rather than through tsx.
import { build } from 'esbuild';
import { join } from 'node:path';

export async function bundleChild(entry: string, outDir: string): Promise<string> {
  const outfile = join(outDir, `${entry.replace(/.*\//, '').replace(/\.ts$/, '')}.mjs`);
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20.19',
    logLevel: 'warning',
    // Bundled CommonJS dependencies call require(); give the ESM bundle one.
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  });
  return outfile;
}
