// The attest entry point (what verifiers embed) stays free of GPL-3.0 packages: snarkjs, its curve
// engine ffjavascript, circom2 and circomlib are only reached through dynamic import() (the zk
// verifier, the replicas' WebAssembly signer). This walks the static import graph to prove it.
import { readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect, test } from 'vitest'

const GPL_PACKAGES = ['snarkjs', 'ffjavascript', 'circom2', 'circomlib']

function staticImports(file: string): string[] {
  const source = readFileSync(file, 'utf8')
  // `import … from 'x'` and `export … from 'x'`, not `import('x')` and not `import type`.
  return [...source.matchAll(/^\s*(?:import|export)\s+(?!type\b)[^'"();]*?from\s+'([^']+)'/gm)].map((m) => m[1]!)
}

function reachablePackages(entry: string): Set<string> {
  const packages = new Set<string>()
  const seen = new Set<string>()
  const visit = (file: string) => {
    if (seen.has(file)) return
    seen.add(file)
    for (const specifier of staticImports(file)) {
      if (specifier.startsWith('.')) visit(resolve(dirname(file), specifier))
      else packages.add(specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]!)
    }
  }
  visit(entry)
  return packages
}

const here = dirname(fileURLToPath(import.meta.url))

test.each(['index.ts', 'wasm-loader.ts', 'combine.ts'])('%s reaches no GPL package by static import', (entry) => {
  const packages = reachablePackages(resolve(here, entry))
  expect(packages.has('@noble/curves')).toBe(true) // the walk does see package imports
  for (const gpl of GPL_PACKAGES) expect(packages.has(gpl), gpl).toBe(false)
})

test('the walk would notice: the WebAssembly signer reaches ffjavascript', () => {
  expect(reachablePackages(resolve(here, 'wasm-signer.ts')).has('ffjavascript')).toBe(true)
})
