import { fileURLToPath } from 'node:url'

/** The folder holding the `nexus:function` WIT world: the one source of truth for the ABI. */
export const witDir = fileURLToPath(new URL('../wit', import.meta.url))
export const witWorld = 'nexus:function/function@0.1.0'
