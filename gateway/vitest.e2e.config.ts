// Runs the gateway's process-level e2e suites (root config keeps `*.e2e.test.ts` out of `npm test`):
// npx vitest run -c gateway/vitest.e2e.config.ts gateway/test
import { defineConfig } from 'vitest/config'
import base from '../vitest.config.ts'

export default defineConfig({
  ...base,
  root: new URL('..', import.meta.url).pathname,
  test: { ...base.test, exclude: ['**/node_modules/**', '**/generated/**', '.nexus/**'] },
})
