#!/usr/bin/env node
// The `nexus` command. Installed from npm (or after `npm run build`) it runs the compiled
// ../dist/main.js. In a repository checkout without a build, or with the `nexus-source` condition
// on, it runs the TypeScript source in this
// same process, as `node --conditions=nexus-source --import tsx cli/src/main.ts` would, without
// paying for a second Node process: tsx's loader, plus a resolve hook that adds the `nexus-source`
// export condition so the workspace packages resolve to their src/.
import { existsSync } from 'node:fs'
import { register } from 'node:module'

const dist = new URL('../dist/main.js', import.meta.url)
// With the `nexus-source` condition already on (vitest's NODE_OPTIONS, a developer's shell), the
// workspace packages resolve to their TypeScript: dist/main.js would import .ts files plain Node
// cannot load, so the source runs instead.
const sourceCondition = /(?:--conditions[= ]|-C[= ]?)nexus-source\b/.test(`${process.execArgv.join(' ')} ${process.env.NODE_OPTIONS ?? ''}`)
if (existsSync(dist) && !sourceCondition) {
  await import(dist.href)
} else {
  const addSourceCondition =
    'export async function resolve(specifier, context, next) { return next(specifier, { ...context, conditions: [...context.conditions, "nexus-source"] }) }'
  register(`data:text/javascript,${encodeURIComponent(addSourceCondition)}`)
  const { register: registerTsx } = await import('tsx/esm/api')
  registerTsx()
  await import(new URL('../src/main.ts', import.meta.url).href)
}
