import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { buildCircuit, builtinCircuits, computeSourceHash, readPtauHeader, requiredPower, resolvePtau } from '../src/index.ts'
import { circomDir, defaultPtauDir, nodeModulesDir, repoRoot } from '../src/paths.ts'

const tmp = mkdtempSync(join(tmpdir(), 'nexus-circuits-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

describe('circuit build', () => {
  test('an unchanged circuit reuses its artifacts; a changed one is rebuilt', async () => {
    const cacheDir = join(tmp, 'cache')
    const events: string[] = []
    const first = await buildCircuit({ circuit: builtinCircuits['poseidon-preimage'], cacheDir, onProgress: (e) => events.push(e.stage) })
    expect(first.cached).toBe(false)
    expect(first.constraints).toBe(240)
    expect(first.ptau).toMatchObject({ power: 12, source: 'dev' })
    expect(events).toContain('compile')
    expect(events).toContain('setup')
    const zkeyMtime = statSync(first.zkeyPath).mtimeMs

    const again = await buildCircuit({ circuit: builtinCircuits['poseidon-preimage'], cacheDir })
    expect(again.cached).toBe(true)
    expect(again.dir).toBe(first.dir)
    expect(again.verificationKeyHash).toBe(first.verificationKeyHash)
    expect(statSync(again.zkeyPath).mtimeMs).toBe(zkeyMtime)

    // Same circuit, one changed byte (a comment) → a different content hash and a fresh build.
    const src = join(tmp, 'preimage_copy.circom')
    const text = readFileSync(join(circomDir, 'poseidon_preimage.circom'), 'utf8')
    writeFileSync(src, `${text}\n// changed\n`)
    const changed = await buildCircuit({ circuit: { id: 'poseidon-preimage', main: src }, cacheDir })
    expect(changed.sourceHash).not.toBe(first.sourceHash)
    expect(changed.cached).toBe(false)
    expect(changed.verificationKeyHash).not.toBe(first.verificationKeyHash)
  })

  test('parallel builds of one circuit into one cache set it up once and agree on the key', async () => {
    // Parallel test files share a cache; each build takes the entry's lock in turn.
    const cacheDir = join(tmp, 'parallel')
    const builds = await Promise.all([1, 2, 3].map(() => buildCircuit({ circuit: builtinCircuits['poseidon-preimage'], cacheDir })))
    expect(new Set(builds.map((b) => b.verificationKeyHash)).size).toBe(1)
    expect(builds.filter((b) => !b.cached)).toHaveLength(1)
  })

  test('the content hash covers included files', () => {
    const dir = join(tmp, 'inc')
    rmSync(dir, { recursive: true, force: true })
    const libDir = join(dir, 'lib')
    mkdirSync(libDir, { recursive: true })
    copyFileSync(join(circomDir, 'merkle3.circom'), join(dir, 'main.circom'))
    copyFileSync(join(circomDir, 'lib', 'merkle.circom'), join(libDir, 'merkle.circom'))
    const hash = () => computeSourceHash({ main: join(dir, 'main.circom'), libraries: [nodeModulesDir], root: repoRoot, compiler: 'x', flags: ['--O2'] })
    const before = hash()
    expect(before.files.some((f) => f.endsWith('poseidon.circom'))).toBe(true)
    writeFileSync(join(libDir, 'merkle.circom'), `${readFileSync(join(libDir, 'merkle.circom'), 'utf8')}\n`)
    expect(hash().hash).not.toBe(before.hash)
  })

  test('a circom error is a typed build error with the compiler output', async () => {
    const src = join(tmp, 'broken.circom')
    writeFileSync(src, 'pragma circom 2.1.0;\ntemplate T() { signal input a; signal output b; b <== a * ; }\ncomponent main = T();\n')
    await expect(buildCircuit({ circuit: { id: 'broken', main: src }, cacheDir: join(tmp, 'cache') })).rejects.toMatchObject({
      name: 'ZkBuildError',
      code: 'NEXUS_ZK_BUILD_FAILED',
    })
  })

  test('ptau resolution picks the smallest dev file that fits and refuses one too small', async () => {
    expect(requiredPower({ nConstraints: 4095, nPubInputs: 0, nOutputs: 0 })).toBe(12)
    expect(requiredPower({ nConstraints: 59793, nPubInputs: 0, nOutputs: 2 })).toBe(16)
    const dev = defaultPtauDir()
    expect(await readPtauHeader(join(dev, 'pot12_final.ptau'))).toEqual({ power: 12, prepared: true })
    const small = await resolvePtau({ power: 10, searchDirs: [dev], generateDir: join(tmp, 'ptau'), generate: false })
    expect(small).toMatchObject({ power: 12, source: 'dev' })
    const big = await resolvePtau({ power: 13, searchDirs: [dev], generateDir: join(tmp, 'ptau'), generate: false })
    expect(big).toMatchObject({ power: 16, source: 'dev' })
    await expect(resolvePtau({ power: 13, ptau: join(dev, 'pot12_final.ptau'), searchDirs: [], generateDir: tmp })).rejects.toThrow(
      /has power 12; the circuit needs 13/,
    )
    await expect(resolvePtau({ power: 17, searchDirs: [dev], generateDir: join(tmp, 'ptau'), generate: false })).rejects.toMatchObject({
      code: 'NEXUS_ZK_BUILD_FAILED',
    })
  })
})
