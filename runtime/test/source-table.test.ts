// The source table (issue 17): esbuild's source map reduced to the segments of the sources a build
// keeps, appended to the bundle without moving a line. Checked against esbuild's own map.
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, test } from 'vitest'
import { bundleGuestSource } from '../src/build/bundle.ts'
import { type SourceTable, sourceTableOf } from '../src/build/source-table.ts'

test('bundle lines map back to the kept sources only; the bundle keeps its lines and loses the inline map', async () => {
  const root = await mkdtemp(join(tmpdir(), 'nexus-source-table-'))
  await mkdir(join(root, 'lib'))
  await writeFile(join(root, 'lib/util.ts'), 'export function twice(x: number): number {\n  if (x < 0) throw new Error("negative")\n  return x * 2\n}\n')
  await writeFile(
    join(root, 'main.ts'),
    'import { twice } from "./lib/util.ts"\n\nexport function handle(input: Uint8Array) {\n  return new Uint8Array([twice(input.length)])\n}\n',
  )
  const options = { entryPoints: ['main.ts'], absWorkingDir: root, external: ['nexus:function/*'] }
  const plain = await bundleGuestSource(options)
  const mapped = await bundleGuestSource({ ...options, sourceNames: (s) => (s === 'lib/util.ts' ? s : undefined) })
  expect(mapped).not.toContain('sourceMappingURL')
  expect(mapped.startsWith(plain.trimEnd())).toBe(true)
  const table = JSON.parse(mapped.slice(mapped.indexOf('= {', plain.trimEnd().length) + 2, mapped.lastIndexOf('}') + 1)) as SourceTable
  expect(table.files).toEqual(['lib/util.ts'])
  const lines = plain.split('\n')
  const throwLine = lines.findIndex((l) => l.includes('throw new Error("negative")')) + 1
  const segments = table.lines[String(throwLine)]!
  // Every segment of that bundle line comes from lib/util.ts line 2 (0-based 1).
  expect(segments.length % 4).toBe(0)
  for (let i = 0; i < segments.length; i += 4) expect([segments[i + 1], segments[i + 2]]).toEqual([0, 1])
  // main.ts's lines are left out.
  const callLine = lines.findIndex((l) => l.includes('twice(input.length)')) + 1
  expect(table.lines[String(callLine)]).toBeUndefined()
})

test('VLQ: negative deltas and multi-digit values', () => {
  // Segments: [0,0,0,0], then column +16, same source, line +1, source column -1; next line: column 0, source line +32.
  const table = sourceTableOf({ sources: ['a.ts'], mappings: 'AAAA,gBACD;AAgCA' }, (s) => s)
  expect(table).toEqual({ files: ['a.ts'], lines: { '1': [0, 0, 0, 0, 16, 0, 1, -1], '2': [0, 0, 33, -1] } })
})
