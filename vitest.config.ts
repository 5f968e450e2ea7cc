import { defineConfig } from 'vitest/config'

// Inside the repo every package resolves to its TypeScript source through the `nexus-source` export
// condition (published packages resolve to dist/). Child processes the tests start (replicas, the
// CLI, anvil helpers) inherit it through NODE_OPTIONS.
const sourceCondition = '--conditions=nexus-source'
if (!process.env.NODE_OPTIONS?.includes(sourceCondition)) process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} ${sourceCondition}`.trim()
const conditions = ['nexus-source', 'module', 'node', 'development|production']

// One root config: every workspace's tests run in one `npm test`.
// Forks (not threads) because several suites start real child processes, anvil and PGlite.
export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ['nexus-source'] } },
  test: {
    include: ['{protocol,framework,runtime,gateway,contracts,circuits,cli}/{src,test}/**/*.test.ts', 'test/**/*.test.ts', 'examples/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/generated/**', '.nexus/**'],
    pool: 'forks',
    poolOptions: { forks: { execArgv: ['--experimental-wasm-extended-const', sourceCondition] } },
    testTimeout: 120_000,
    hookTimeout: 300_000,
    typecheck: { enabled: true, include: ['**/*.test-d.ts'], tsconfig: './tsconfig.json' },
  },
})
