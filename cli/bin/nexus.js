#!/usr/bin/env node
// The `nexus` command. Installed from npm (or after `npm run build`) it runs the compiled
// ../dist/main.js. In a repository checkout without a build it runs the TypeScript source in this
// same process, as `node --conditions=nexus-source --import tsx cli/src/main.ts` would, without
// paying for a second Node process: tsx's loader, plus a resolve hook that adds the `nexus-source`
// export condition so the workspace packages resolve to their src/.
import { existsSync } from 'node:fs'
import { register } from 'node:module'

const dist = new URL('../dist/main.js', import.meta.url)
if (existsSync(dist)) {
  await import(dist.href)
} else {
  const sourceCondition =
    'export async function resolve(specifier, context, next) { return next(specifier, { ...context, conditions: [...context.conditions, "nexus-source"] }) }'
  register(`data:text/javascript,${encodeURIComponent(sourceCondition)}`)
  const { register: registerTsx } = await import('tsx/esm/api')
  registerTsx()
  await import(new URL('../src/main.ts', import.meta.url).href)
}
