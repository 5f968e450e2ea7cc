import { fileURLToPath } from 'node:url'

/** The folder holding the `nexus:function` WIT world: the one source of truth for the ABI. */
export const witDir = fileURLToPath(new URL('../wit', import.meta.url))
// The name lives in a file without Node built-ins, so the root entry (manifest check) can use it.
export { witWorld } from './wit-world.ts'
