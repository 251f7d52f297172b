// ESLint (flat config): `npm run lint` checks src, test, bench, scripts and demo.
// typescript-eslint's recommended rules (syntax only, no type information: fast, and the
// compiler's own strict checks run in `npm run typecheck`), eslint-plugin-lit for Lit
// templates, eslint-plugin-wc for custom-element rules; formatting is Prettier's job
// (`npm run format:check`), so eslint-config-prettier turns off every rule it would fight.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import { configs as lit } from 'eslint-plugin-lit';
import { configs as wc } from 'eslint-plugin-wc';
import globals from 'globals';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

/** Node scripts and servers (everything .mjs but the bench's in-page modules). */
const NODE_FILES = [
  'scripts/**/*.mjs',
  'test/servers/**/*.mjs',
  'test/support/**/*.mjs',
  'bench/*.mjs',
  'bench/crowd/**/*.{mjs,ts}',
  '*.config.{mjs,ts}',
];

export default defineConfig(
  {
    // Generated, vendored or written by runs: never linted.
    ignores: ['dist/**', 'custom-elements.json', 'test/media/**', 'bench-results/**', 'test-results/**', 'node_modules/**', 'docs/**'],
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'module',
      // The element, the demo, the tests and the bench pages run in the browser.
      globals: { ...globals.browser },
    },
    rules: {
      // `_name` marks a deliberately unused parameter or binding (as tsc's noUnusedParameters allows).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
    },
  },
  {
    files: NODE_FILES,
    languageOptions: { globals: { ...globals.node } },
  },
  {
    files: ['test/**/*.ts'],
    languageOptions: { globals: { ...globals.mocha } },
    rules: {
      // Chai's property assertions (`expect(x).to.be.a('string').and.not.empty`) are expressions.
      '@typescript-eslint/no-unused-expressions': 'off',
    },
  },
  {
    // Lit templates and custom elements: the element itself, and the tests and pages that build them.
    files: ['src/**/*.ts', 'test/**/*.ts', 'demo/**/*.ts', 'bench/pages/**/*.mjs'],
    ...lit['flat/recommended'],
  },
  {
    files: ['src/**/*.ts', 'test/**/*.ts', 'demo/**/*.ts', 'bench/pages/**/*.mjs'],
    ...wc['flat/recommended'],
  },
  {
    settings: { wc: { elementBaseClasses: ['LitElement'] } },
  },
  prettier,
);
