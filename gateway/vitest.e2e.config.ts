// Runs only the gateway's process-level e2e suites with the root settings:
// npx vitest run -c gateway/vitest.e2e.config.ts gateway/test
import { defineConfig } from 'vitest/config'
import base from '../vitest.config.ts'

export default defineConfig({
  ...base,
  root: new URL('..', import.meta.url).pathname,
  test: { ...base.test, exclude: ['**/node_modules/**', '**/generated/**', '.nexus/**'] },
})
