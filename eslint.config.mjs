// One lint configuration for src/, test/ and bench/: type-aware rules plus the house rule that each SDK
// is imported only from its own folder (see STYLE.md "Five principles").
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const sdkHomes = [
  { name: 'restify', home: 'src/server/' },
  { name: 'botbuilder', home: 'src/bot/' },
  { name: 'botframework-connector', home: 'src/bot/' },
  { name: '@azure/msal-node', home: 'src/auth/' },
  { name: 'adaptivecards-templating', home: 'src/cards/' },
  { name: '@azure/storage-blob', home: 'src/storage/' },
  { name: '@azure/identity', home: 'src/storage/' },
];

const homes = [...new Set(sdkHomes.map((s) => s.home))];

function restrictedOutside(home) {
  return sdkHomes
    .filter((s) => s.home !== home)
    .map((s) => ({ name: s.name, message: `Only ${s.home} may import ${s.name}.` }));
}

const restrictedImports = (home) => ({ 'no-restricted-imports': ['error', { paths: restrictedOutside(home) }] });

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'devTools/**', '.data/**', 'eslint.config.mjs', '.mocharc.cjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'error',
      eqeqeq: 'error',
    },
  },
  { files: ['src/**/*.ts'], ignores: homes.map((h) => `${h}**`), rules: restrictedImports(null) },
  ...homes.map((home) => ({ files: [`${home}**/*.ts`], rules: restrictedImports(home) })),
  {
    files: ['test/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts'],
    rules: {
      'no-console': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
);
