// The fallback when no ptau file fits: a local ceremony, generated once with progress output, cached.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, expect, test } from 'vitest'
import { buildCircuit, builtinCircuits, readPtauHeader, type BuildProgress } from '../src/index.ts'

const tmp = mkdtempSync(join(tmpdir(), 'nexus-ptau-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

test('a circuit with no fitting ptau gets a locally generated, cached ceremony', async () => {
  const events: BuildProgress[] = []
  const cacheDir = join(tmp, 'cache')
  const built = await buildCircuit({
    circuit: builtinCircuits['poseidon-preimage'],
    cacheDir,
    ptauDirs: [join(cacheDir, 'ptau')],
    onProgress: (e) => events.push(e),
  })
  expect(built.ptau).toMatchObject({ power: 8, source: 'generated', path: join(cacheDir, 'ptau', 'pot8_final.ptau') })
  expect(await readPtauHeader(built.ptau.path)).toEqual({ power: 8, prepared: true })
  expect(events.filter((e) => e.stage === 'ptau').map((e) => e.message)).toEqual(
    expect.arrayContaining([expect.stringMatching(/generating a local powers-of-tau ceremony of power 8/), expect.stringMatching(/^done in/)]),
  )
  // Second build: the generated file is found in the cache, nothing is regenerated or rebuilt.
  const again = await buildCircuit({ circuit: builtinCircuits['poseidon-preimage'], cacheDir, ptauDirs: [join(cacheDir, 'ptau')] })
  expect(again).toMatchObject({ cached: true, ptau: { path: built.ptau.path, source: 'dev' } })
}, 300_000)
