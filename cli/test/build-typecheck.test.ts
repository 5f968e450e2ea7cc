// `nexus build` type-checks first (issue 17): a project with a type error fails with the located
// TypeCheckError; `--no-typecheck` builds it anyway (here with --check: validated, not componentized).
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect, test } from 'vitest'
import { TypeCheckError } from '@nexus/framework/build'
import { run } from '../src/commands/build.ts'

const decorators = fileURLToPath(new URL('../../framework/src/decorators/index.ts', import.meta.url))

test('nexus build reports type errors as file:line:col; --no-typecheck skips the checker', async () => {
  const root = await mkdtemp(join(tmpdir(), 'nexus-build-typecheck-'))
  await mkdir(join(root, 'handlers'))
  await writeFile(
    join(root, 'nexus.config.ts'),
    `import { defineConfig } from ${JSON.stringify(decorators)}\nexport default defineConfig({ name: 'cli-tc', chains: { local: { chainId: 31337 } } })\n`,
  )
  await writeFile(
    join(root, 'handlers/hello.ts'),
    [
      `import { onHttp, type RequestContext } from ${JSON.stringify(decorators)}`,
      "export const hello = onHttp({ method: 'GET', path: '/hello' }, (ctx: RequestContext) => {",
      "  ctx.kv.setString('greeting', ctx.request.body)",
      "  return 'hi'",
      '})',
      '',
    ].join('\n'),
  )
  const config = join(root, 'nexus.config.ts')
  // Not yet an ES module project: said before anything is loaded.
  await expect(run(['--config', config, '--check'])).rejects.toThrow(/No package\.json in .* or above it/)
  await writeFile(join(root, 'package.json'), '{ "type": "commonjs" }\n')
  await expect(run(['--config', config, '--check'])).rejects.toThrow(/does not say "type": "module"/)
  await writeFile(join(root, 'package.json'), '{ "type": "module" }\n')
  const err = await run(['--config', config, '--check']).then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(TypeCheckError)
  expect((err as Error).message).toMatch(
    /^handlers\/hello\.ts:3:32: error TS2345: Argument of type 'Uint8Array.*' is not assignable to parameter of type 'string'\.$/m,
  )

  const lines: string[] = []
  const log = console.log
  console.log = (line: string) => void lines.push(line)
  try {
    expect(await run(['--config', config, '--check', '--no-typecheck'])).toBe(0)
  } finally {
    console.log = log
  }
  expect(lines.at(-1)).toMatch(/^1 function\(s\) of cli-tc in /)
}, 120_000)
