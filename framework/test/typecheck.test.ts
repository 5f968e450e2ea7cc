// Type-checked builds (issue 17): the mistakes a new user makes (a misspelt context method, bytes
// for a string and a string for bytes, a context type that does not exist, a syntax error) fail
// `buildProject` with file:line:col before anything is bundled; `typecheck: false` skips the check.
// Temp projects outside the repo import the framework by absolute path (no tsconfig: the defaults).
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, test } from 'vitest'
import { buildProject, diagnosticsByFile, TypeCheckError, typecheckProject, type TypeDiagnostic } from '../src/build/index.ts'

const decorators = fileURLToPath(new URL('../src/decorators/index.ts', import.meta.url))

/** A project folder with nexus.config.ts and the given handler files (name → source lines). */
async function project(handlers: Record<string, string[]>, config?: string[]): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'nexus-typecheck-'))
  await mkdir(join(root, 'handlers'))
  // An ES module project, as `nexus init` writes it (the collector loads handlers as the project's type says).
  await writeFile(join(root, 'package.json'), '{ "type": "module" }\n')
  const configLines = config ?? [
    `import { defineConfig } from ${JSON.stringify(decorators)}`,
    "export default defineConfig({ name: 'tc', chains: { local: { chainId: 31337 } } })",
  ]
  await writeFile(join(root, 'nexus.config.ts'), `${configLines.join('\n')}\n`)
  for (const [name, lines] of Object.entries(handlers)) await writeFile(join(root, 'handlers', name), `${lines.join('\n')}\n`)
  return join(root, 'nexus.config.ts')
}

const header = `import { onHttp, type HttpContext, type RequestContext } from ${JSON.stringify(decorators)}`

async function typeErrors(configPath: string): Promise<TypeCheckError> {
  const err = await buildProject(configPath, { checkOnly: true }).then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(TypeCheckError)
  return err as TypeCheckError
}

const where = (d: TypeDiagnostic) => `${d.file}:${d.line}:${d.column} TS${d.code}`

describe('type-checked builds', () => {
  test('a misspelt context method, bytes for a string and a string for bytes are type errors with file:line:col', async () => {
    const config = await project({
      'mistakes.ts': [
        header,
        'export class Api {',
        "  @onHttp({ method: 'POST', path: '/x' })",
        '  handle(ctx: RequestContext) {',
        "    const v = ctx.kv.gett('k')",
        "    const text: string = ctx.fs.readFile('/a.txt')",
        '    const bytes: Uint8Array = ctx.request.text()',
        '    ctx.log.info(ctx.request.body)',
        '    return { v, text, bytes }',
        '  }',
        '}',
      ],
    })
    const err = await typeErrors(config)
    expect(err.diagnostics.map(where)).toEqual([
      'handlers/mistakes.ts:5:22 TS2551',
      'handlers/mistakes.ts:6:11 TS2322',
      'handlers/mistakes.ts:7:11 TS2322',
      'handlers/mistakes.ts:8:18 TS2345',
    ])
    expect(err.diagnostics[0]!.message).toMatch(/Property 'gett' does not exist .*Did you mean 'get'\?/)
    expect(err.diagnostics[1]!.message).toContain("Type 'Uint8Array<ArrayBufferLike>' is not assignable to type 'string'")
    expect(err.message).toContain("handlers/mistakes.ts:5:22: error TS2551: Property 'gett' does not exist")
    expect(err.message).toContain('--no-typecheck')
    expect(err.code).toBe('NEXUS_TYPE_ERRORS')
  })

  test('HttpContext is RequestContext; a context name that does not exist is an error', async () => {
    const config = await project({
      'names.ts': [
        header.replace('type HttpContext,', 'type HttpContext, type HttpRequestContext,'),
        "export const a = onHttp({ method: 'GET', path: '/a' }, (ctx: HttpContext) => ctx.request.path)",
        'export class B {',
        "  @onHttp({ method: 'GET', path: '/b' })",
        '  b(ctx: HttpContext) {',
        '    return ctx.request.method',
        '  }',
        '}',
      ],
    })
    const err = await typeErrors(config)
    expect(err.diagnostics.map(where)).toEqual(['handlers/names.ts:1:41 TS2724'])
    expect(err.diagnostics[0]!.message).toMatch(/has no exported member named 'HttpRequestContext'. Did you mean 'RequestContext'\?/)
  })

  test('an @onHttp method must take the request context, not an event context', async () => {
    const config = await project({
      'wrong-ctx.ts': [
        `import { onHttp, type BlockContext } from ${JSON.stringify(decorators)}`,
        'export class C {',
        "  @onHttp({ method: 'GET', path: '/c' })",
        '  c(ctx: BlockContext) {',
        '    return ctx.block.number',
        '  }',
        '}',
      ],
    })
    expect((await typeErrors(config)).diagnostics.map(where)).toEqual(['handlers/wrong-ctx.ts:3:4 TS1241'])
  })

  test('a syntax error is reported with file:line:col', async () => {
    const config = await project({
      'ok.ts': [header, "export const ok = onHttp({ method: 'GET', path: '/ok' }, (ctx: RequestContext) => ctx.request.text())"],
      'broken.ts': [header, "export const b = onHttp({ method: 'GET', path: '/b' }, (ctx: HttpContext) => {", '  return ctx.request.text(', '})'],
    })
    const err = await typeErrors(config)
    expect(err.diagnostics.map(where)).toEqual(['handlers/broken.ts:4:1 TS1135'])
    expect(err.diagnostics[0]!.message).toBe('Argument expression expected.')
  })

  test('a type error in nexus.config.ts is reported too', async () => {
    const config = await project(
      { 'ok.ts': [header, "export const ok = onHttp({ method: 'GET', path: '/ok' }, (ctx: RequestContext) => ctx.request.text())"] },
      [
        `import { defineConfig } from ${JSON.stringify(decorators)}`,
        "export default defineConfig({ name: 'tc', chains: { local: { chainId: 31337 } }, replicas: 'four' })",
      ],
    )
    expect((await typeErrors(config)).diagnostics.map((d) => d.file)).toEqual(['nexus.config.ts'])
  })

  test('typecheck: false skips the checker; diagnosticsByFile groups them per handler file', async () => {
    const config = await project({
      'a.ts': [header, "export const a = onHttp({ method: 'GET', path: '/a' }, (ctx: RequestContext) => ctx.kv.gett('k'))"],
      'b.ts': [header, "export const b = onHttp({ method: 'GET', path: '/b' }, (ctx: RequestContext) => ctx.kv.gett('k'))"],
    })
    const built = await buildProject(config, { checkOnly: true, typecheck: false })
    expect(built.functions.map((f) => f.id)).toEqual(['tc-a', 'tc-b'])
    const root = join(config, '..')
    const byFile = diagnosticsByFile(await typecheckProject(root, [config, join(root, 'handlers/a.ts'), join(root, 'handlers/b.ts')]))
    expect([...byFile.keys()]).toEqual(['handlers/a.ts', 'handlers/b.ts'])
  })
}, 120_000)
