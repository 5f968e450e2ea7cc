// The committed artifacts in contracts/generated are exactly what a fresh solc-js compile produces.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { expect, test } from 'vitest'
import { compileAll, generatedDir, renderAll } from '../src/build.ts'

test('contracts/generated matches a fresh compile (run `npm run build -w contracts` if not)', () => {
  const { artifacts } = compileAll()
  const fresh = renderAll(artifacts)
  const onDisk = Object.fromEntries(
    readdirSync(generatedDir)
      .filter((f) => f.endsWith('.ts'))
      .map((f) => [f, readFileSync(join(generatedDir, f), 'utf8')]),
  )
  expect(Object.keys(onDisk).sort()).toEqual(Object.keys(fresh).sort())
  for (const [file, text] of Object.entries(fresh)) expect(onDisk[file], file).toBe(text)
  // Deployable under the EIP-170 limit.
  for (const a of artifacts) expect((a.bytecode.length - 2) / 2, a.name).toBeLessThan(49_152)
})
