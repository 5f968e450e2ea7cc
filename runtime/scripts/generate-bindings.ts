// Regenerates runtime/src/generated/: TypeScript declarations of the nexus:function interfaces,
// produced by jco from the WIT world (via a minimal component). Never edit the output by hand.
// Run: node --import tsx runtime/scripts/generate-bindings.ts
import { mkdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { transpile } from '@bytecodealliance/jco'
import { componentizeJs } from '../src/build/componentize.ts'

const out = fileURLToPath(new URL('../src/generated', import.meta.url))
const component = await componentizeJs('export function handle(input) { return input }')
const { files } = await transpile(component, { name: 'function', instantiation: 'sync' })
await rm(out, { recursive: true, force: true })
await mkdir(join(out, 'interfaces'), { recursive: true })
for (const [name, bytes] of Object.entries(files)) {
  if (name.startsWith('interfaces/') || name === 'function.d.ts') {
    await writeFile(
      join(out, name),
      `// Generated from protocol/wit/nexus.wit by runtime/scripts/generate-bindings.ts. Do not edit.\n${new TextDecoder().decode(bytes)}`,
    )
  }
}
console.log(`wrote ${out}`)
