// `tsc -b tsconfig.build.json` for tests that need the published shape (dist/): the dist test and
// the new-user test both build it, and vitest runs them at once in separate processes. Two builds
// writing the same dist/ and .tsbuildinfo files at once can leave a half-written file for the other
// to read, so the build holds a lock directory (mkdir is atomic) and the second one waits and then
// finds everything up to date in a second.
import { execFile } from 'node:child_process'
import { mkdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const exec = promisify(execFile)
export const repoRoot = fileURLToPath(new URL('../../', import.meta.url))

export async function buildDist(): Promise<void> {
  const lock = join(repoRoot, '.nexus', 'dist-build.lock')
  await mkdir(join(repoRoot, '.nexus'), { recursive: true })
  for (let waited = 0; ; waited += 500) {
    try {
      await mkdir(lock)
      break
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      // A lock older than any build (a killed run) is taken over.
      if (waited > 600_000) break
      await new Promise((resolve) => setTimeout(resolve, 500))
    }
  }
  try {
    await exec(process.execPath, [join(repoRoot, 'node_modules/typescript/bin/tsc'), '-b', 'tsconfig.build.json'], { cwd: repoRoot })
  } finally {
    await rm(lock, { recursive: true, force: true })
  }
}
