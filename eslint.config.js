// The linter `npm test` runs: ESLint's and typescript-eslint's recommended
// rules over everything we write, with no rule turned off.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'test-results/', 'public/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { ...globals.node },
    },
  },
  {
    files: ['web/**/*.ts'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    files: ['test/browser/**/*.ts'],
    languageOptions: { globals: { ...globals.browser, ...globals.node } },
  },
);
