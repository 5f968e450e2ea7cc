// One process per state (issue 15, item 3): a store's directory or schema is locked while open; a
// second opener is refused at once with the holder's pid; a holder killed with SIGKILL leaves
// nothing that blocks the next start; a lost schema lock is reported; state files are private.
import { spawn, type ChildProcess } from 'node:child_process'
import { execFileSync } from 'node:child_process'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import postgres from 'postgres'
import { afterAll, describe, expect, test } from 'vitest'
import { openStore, type OpenStoreOptions } from '../src/store/database.ts'
import { StoreLockedError, type StoreLockLostError } from '../src/store/lock-errors.ts'

const runtimeRoot = new URL('..', import.meta.url).pathname
const children: ChildProcess[] = []
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
})

/** A separate process holding the store open until killed; resolves once it has opened it. */
async function holdInChild(location: Partial<OpenStoreOptions>): Promise<ChildProcess> {
  const script = `import { openStore } from './src/store/database.ts'
    await openStore({ ...${JSON.stringify(location)}, migrations: 'replica' })
    console.log('open'); setInterval(() => {}, 1000)`
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: runtimeRoot, stdio: ['ignore', 'pipe', 'inherit'] })
  children.push(child)
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`holder exited with ${code}`)))
    createInterface({ input: child.stdout! }).on('line', (line) => line === 'open' && resolve())
  })
  return child
}

const killed = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    child.once('exit', () => resolve())
    child.kill('SIGKILL')
  })

async function refusal(location: Partial<OpenStoreOptions>): Promise<StoreLockedError> {
  const err = await openStore({ ...location, migrations: 'replica' }).then(
    async (store) => {
      await store.close()
      throw new Error('the second open was not refused')
    },
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(StoreLockedError)
  return err as StoreLockedError
}

function suite(name: string, location: () => Promise<Partial<OpenStoreOptions>>) {
  describe(name, () => {
    test('a second opener in the same process is refused with the holder named; after close it opens', async () => {
      const where = await location()
      const first = await openStore({ ...where, migrations: 'replica' })
      const err = await refusal(where)
      expect(err.code).toBe('NEXUS_STORE_LOCKED')
      expect(err.holder.pid).toBe(process.pid)
      expect(err.message).toContain(`process ${process.pid}`)
      await first.close()
      const again = await openStore({ ...where, migrations: 'replica' })
      await again.close()
    })

    test('another process holding it: refused with its pid; after its kill -9 the next open works', async () => {
      const where = await location()
      const holder = await holdInChild(where)
      const err = await refusal(where)
      expect(err.holder.pid).toBe(holder.pid)
      await killed(holder)
      // PostgreSQL notices the closed socket within moments; the directory lock is gone with the process.
      const deadline = Date.now() + 10_000
      for (;;) {
        const opened = await openStore({ ...where, migrations: 'replica' }).catch((e: unknown) => e)
        if (!(opened instanceof Error)) {
          await opened.close()
          break
        }
        if (!(opened instanceof StoreLockedError) || Date.now() > deadline) throw opened
        await new Promise((r) => setTimeout(r, 100))
      }
    })
  })
}

suite('pglite directory', async () => ({ dataDir: join(await mkdtemp(join(tmpdir(), 'nexus-lock-')), 'db') }))

test('a PGlite directory and everything in it is private to its user (0700 / 0600)', async () => {
  const dataDir = join(await mkdtemp(join(tmpdir(), 'nexus-mode-')), 'db')
  const store = await openStore({ dataDir, migrations: 'replica' })
  await store.close()
  const open = execFileSync('find', [dataDir, '(', '-type', 'f', '-perm', '/077', ')', '-o', '(', '-type', 'd', '-perm', '/077', ')'], { encoding: 'utf8' })
  expect(open).toBe('')
  expect(execFileSync('find', [dataDir, '-type', 'f'], { encoding: 'utf8' }).split('\n').length).toBeGreaterThan(100)
})

if (process.env.DATABASE_URL) {
  const url = process.env.DATABASE_URL
  let n = 0
  suite('postgres schema', async () => ({ databaseUrl: url, schema: `lock_${process.pid}_${Date.now().toString(36)}_${n++}` }))

  test('the schema lock connection dropping is reported (fail-stop), not silently re-taken', async () => {
    const schema = `lock_${process.pid}_lost_${Date.now().toString(36)}`
    let lost: StoreLockLostError | undefined
    const store = await openStore({ databaseUrl: url, schema, migrations: 'replica', onLockLost: (e) => (lost = e) })
    const admin = postgres(url, { max: 1, onnotice: () => {} })
    try {
      await admin`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = ${`nexus pid=${process.pid}`} || ' host=' || ${(await import('node:os')).hostname()}`
      const deadline = Date.now() + 5000
      while (!lost && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
      expect(lost?.code).toBe('NEXUS_STORE_LOCK_LOST')
    } finally {
      await admin.end()
      await store.close()
    }
  })
}
