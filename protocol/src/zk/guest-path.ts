import { fileURLToPath } from 'node:url'

/** The module a zk guest bundle imports `zk` from: beside this file, as source in the repo or as dist JavaScript. */
export const zkGuestModule = fileURLToPath(new URL(import.meta.url.endsWith('.ts') ? './guest.ts' : './guest.js', import.meta.url))
