// Bundles src/cli/main.ts into dist/ with esbuild, plus the compile cache's directory for bin/
// (its own small entry). Lazily loaded chunks: the `run` hot path loads only what it needs.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';

/**
 * chalk finds the terminal's colour support through supports-color, whose Node variant imports
 * node:tty, and that sets up Node's whole stream stack at start-up, on every run and every header
 * request. codex-auth passes chalk the colour level itself (NO_COLOR, --color, whether stderr is a
 * terminal), so the bundle takes the variant without that import.
 */
const chalkWithoutTerminalProbe = {
  name: 'chalk-without-terminal-probe',
  setup(build) {
    const browserVariant = createRequire(import.meta.url).resolve('chalk').replace(/index\.js$/, 'vendor/supports-color/browser.js');
    build.onResolve({ filter: /^#supports-color$/ }, () => ({ path: browserVariant }));
  },
};

rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
await build({
  entryPoints: { cli: 'src/cli/main.ts', 'compile-cache': 'src/store/compile-cache.ts' },
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20.19',
  sourcemap: false,
  legalComments: 'none',
  logLevel: 'warning',
  plugins: [chalkWithoutTerminalProbe],
  // Bundled CommonJS dependencies call require(); give the ESM bundle one.
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
});
