// Collecting declared functions from handler files without building components (`--check`):
// plain-function forms, static methods, function ids, and the `nexus build` command itself.
import { describe, expect, test } from 'vitest'
import { fileURLToPath } from 'node:url'
import { buildProject, HandlerLoadError, TriggerValidationError } from '@nexus/framework/build'
import { run } from '../src/commands/build.ts'

const plainConfig = fileURLToPath(new URL('../../framework/test/fixtures/plain/nexus.config.ts', import.meta.url))
const badConfig = fileURLToPath(new URL('../../framework/test/fixtures/bad-event/nexus.config.ts', import.meta.url))
const throwsConfig = fileURLToPath(new URL('../../framework/test/fixtures/throws/nexus.config.ts', import.meta.url))

describe('collect', () => {
  test('plain forms and static methods become functions named <project>-<handler>', async () => {
    const project = await buildProject(plainConfig, { checkOnly: true })
    expect(project.name).toBe('plain-project')
    expect(project.replicas).toBe(4)
    expect(project.threshold).toBe(3)
    expect(project.functions.map((f) => [f.id, f.triggers.map((t) => t.kind)])).toEqual([
      ['plain-project-weekly', ['cron']],
      ['plain-project-every-tenth', ['block']],
      ['plain-project-nightly', ['cron']],
      ['plain-project-ping', ['route']],
      ['plain-project-to-bob', ['event']],
    ])
    expect(project.functions.find((f) => f.id === 'plain-project-to-bob')!.triggers[0]).toMatchObject({
      chain: 'mainnet',
      chainId: 1,
      startBlock: '19000000',
      topics: [null, '0x0000000000000000000000003c44cdddb6a900fa2b585dd299e03d12fa4293bc'],
    })
    expect(project.functions.find((f) => f.id === 'plain-project-ping')!.triggers[0]).toEqual({ kind: 'route', method: 'POST', path: '/ping' })
    expect(project.chains.map((c) => c.finality)).toEqual(['safe', 'finalized'])
    // Author code ran in a child process, not in this one (in `nexus dev` this one is the gateway).
    expect((globalThis as { nexusPlainFixtureLoaded?: boolean }).nexusPlainFixtureLoaded).toBeUndefined()
  })

  test('a handler file that throws while loading is a HandlerLoadError naming the file and the cause', async () => {
    const err = await buildProject(throwsConfig, { checkOnly: true }).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(err).toBeInstanceOf(HandlerLoadError)
    expect((err as Error).message).toContain('Could not load handler file')
    expect((err as Error).message).toContain('boom.ts')
    expect((err as Error).message).toContain('boom while loading')
  })

  test('nexus build --check lists functions; a bad decorator makes it throw the located error', async () => {
    const lines: string[] = []
    const log = console.log
    console.log = (line: string) => void lines.push(line)
    try {
      expect(await run(['--config', plainConfig, '--check'])).toBe(0)
    } finally {
      console.log = log
    }
    expect(lines.at(-1)).toMatch(/^5 function\(s\) of plain-project in /)
    expect(lines.some((l) => l.includes('plain-project-to-bob') && l.includes('event Token.Transfer'))).toBe(true)
    await expect(run(['--config', badConfig, '--check'])).rejects.toThrow(TriggerValidationError)
    expect(await run(['--nope'])).toBe(2)
  })
})
