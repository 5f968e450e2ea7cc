// A replica process bundles nothing but its sandbox worker and its compile process. Bundling both at start
// moves that work off the first deploy and the first invocation, and lets esbuild's service process
// (≈ 16 MB resident, kept for the process's life once started) end: the bundles' paths are cached.
import { stopEsbuild } from '../build/hashed-bundle.ts'
import { compileWorkerBundlePath } from '../build/compile-in-child.ts'
import { workerBundlePath } from '../sandbox/worker-bundle.ts'

/** Bundles the sandbox and compile workers (reused while unchanged), then ends esbuild's service if it ran. */
export async function prebundleWorkers(): Promise<void> {
  await Promise.all([workerBundlePath(), compileWorkerBundlePath()])
  await stopEsbuild()
}
