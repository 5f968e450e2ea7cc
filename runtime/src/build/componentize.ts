import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { createRequire } from 'node:module'
import { promisify } from 'node:util'
import { witDir } from '@nexus/protocol/wit'
import { BuildError } from './errors.ts'

const run = promisify(execFile)
// The package's exports hide package.json; its main entry sits next to the CLI in dist/.
const jcoBin = join(dirname(createRequire(import.meta.url).resolve('@bytecodealliance/jco')), 'jco.js')

/**
 * Turns a bundled ES module into a component of the `nexus:function` world with jco's QuickJS
 * backend (fast builds, ~1.6 MB). WASI is stubbed out: a function reaches the outside world only
 * through our own interfaces, which is what keeps replicas deterministic.
 */
export async function componentizeJs(source: string): Promise<Uint8Array> {
  const dir = await mkdtemp(join(tmpdir(), 'nexus-componentize-'))
  try {
    const src = join(dir, 'handler.js')
    const out = join(dir, 'component.wasm')
    await writeFile(src, source)
    await run(
      process.execPath,
      [
        jcoBin,
        'componentize',
        'handler.js',
        '--cwd',
        dir,
        '--wit',
        witDir,
        '--world-name',
        'function',
        '--backend',
        'quickjs',
        '--backend-qjs-disable-async',
        '--backend-qjs-stub-wasi',
        '-o',
        out,
      ],
      // Relative paths only: the component must not embed the temporary folder's name.
      { maxBuffer: 16 * 1024 * 1024, cwd: dir },
    ).catch((err: { stderr?: string; message: string }) => {
      throw new BuildError('jco componentize failed.', { details: err.stderr?.trim() || err.message })
    })
    return new Uint8Array(await readFile(out))
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}
