// `npm start`: the CLI from one bundle of its TypeScript source (split at each command's dynamic
// import) instead of through tsx module by module, which resolves and transforms each of ≈ 1,700
// modules through its hooks thread before `nexus dev` does anything. The bundle is reused without
// esbuild while its inputs are unchanged (runtime/src/build/hashed-bundle.ts). tsx stays loaded for
// the user's TypeScript: nexus.config.ts and handler files are imported as they are.
import { fileURLToPath } from 'node:url'
import { bundleProcessEntry } from '@nexus/runtime/process-bundle'

const bundle = await bundleProcessEntry(fileURLToPath(new URL('./main.ts', import.meta.url)))
// main.ts reads its command from process.argv as when run directly (the same argv[2..]).
await import(bundle)
