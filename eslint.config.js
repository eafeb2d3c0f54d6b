// The linter looks for bug classes the type-checker lets through in asynchronous code (a promise
// nobody awaits, a promise handed to something that expects a plain callback), a switch that
// forgets a member of a union, and code left unused. TypeScript files are linted with the type
// information of tsconfig.json (projectService), the same files tsc checks. Style is left alone.
import tseslint from 'typescript-eslint';

/**
 * An eslint block forbidding the files of a layer (a folder of src/, or `src` for its top-level
 * files) to import the given layers. Each file falls under one such block: a second block's
 * options for the rule would replace the first's.
 */
function layer(dir, forbidden, why) {
  const topLevel = dir === 'src';
  const up = topLevel ? '\\./' : '(\\.\\./)+';
  return {
    files: [topLevel ? 'src/*.ts' : `${dir}/**/*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ regex: `^${up}(${forbidden.join('|')})/`, message: `${dir} must not import ${forbidden.join(', ')}: ${why}.` }] },
      ],
    },
  };
}

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'bench-results/'] },
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.base],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // node:test collects describe/it/test itself and reports their failures: not floating.
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite'] }] },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      '@typescript-eslint/no-unused-vars': ['error', { ignoreRestSiblings: true, caughtErrors: 'none' }],
    },
  },
  // The layers of src/ (docs/contributing.md): arrows run one way, from cli to the rest, and the
  // protocol knows nothing of Codex. Each layer names the layers it must not import.
  layer('src/oauth', ['cli', 'codex', 'session', 'store', 'ui'], 'the protocol knows nothing of Codex, state or the terminal'),
  layer('src/store', ['cli', 'codex', 'session', 'ui'], 'state files are below everything that uses them'),
  layer('src/ui', ['cli', 'codex', 'session', 'store'], 'output and the browser take what they show as arguments'),
  layer('src/codex', ['cli', 'session', 'ui'], 'Codex facts and config editing do not decide when tokens are refreshed'),
  layer('src/session', ['cli', 'ui'], 'the refresh policy runs under run, the proxy and the helper alike'),
  layer('src', ['cli'], 'nothing imports the command line'),
  {
    // The few plain JavaScript files (bin, build and test scripts) have no types to lint with.
    files: ['**/*.js', '**/*.mjs'],
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: { 'no-unused-vars': ['error', { ignoreRestSiblings: true, caughtErrors: 'none' }] },
  },
);
