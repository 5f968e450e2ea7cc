import { defineConfig } from 'vitest/config'

// One root config: every workspace's tests run in one `npm test`.
// Forks (not threads) because several suites start real child processes, anvil and PGlite.
export default defineConfig({
  test: {
    include: ['{framework,runtime,gateway,contracts,circuits}/{src,test}/**/*.test.ts', 'examples/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/generated/**', '.nexus/**'],
    pool: 'forks',
    poolOptions: { forks: { execArgv: ['--experimental-wasm-extended-const'] } },
    testTimeout: 120_000,
    hookTimeout: 300_000,
    typecheck: { enabled: true, include: ['**/*.test-d.ts'], tsconfig: './tsconfig.json' },
  },
})
