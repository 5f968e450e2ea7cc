// One process per data directory. Two gateways (or two replicas) on one PGlite directory each hand
// out the same seqs to different invocations and corrupt the state both believe they own, so every
// opener takes an exclusive lock first and a second opener fails at once, told the holder's pid.
//
// On Linux the lock is an abstract-namespace Unix socket named after the directory's real path:
// binding it is atomic, the kernel refuses a second bind (EADDRINUSE), and it releases the name
// when the holder dies however it dies (kill -9 included), so there is nothing stale to detect and
// pid reuse cannot fool it. The holder answers a connection on that socket with its pid, host and
// start time, which is how the refused opener names it. It covers the processes of one network
// namespace (one host, or one container); `nexus.lock` in the directory records the holder too.
// Elsewhere (macOS, Windows) `nexus.lock` itself is the lock: created exclusively, and taken over
// only when it names this host and a pid that is not alive (a reused pid keeps it locked: refused
// with that pid named, which an operator can check, rather than two writers).
import { createHash } from 'node:crypto'
import { mkdir, readFile, realpath, rm, writeFile } from 'node:fs/promises'
import { connect, createServer } from 'node:net'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { StoreLockedError, type LockHolder } from './lock-errors.ts'

/** The holder's record inside a locked directory. */
export const LOCK_FILE = 'nexus.lock'

export type DirectoryLock = { dir: string; release(): Promise<void> }

/** @example const lock = await lockDirectory('.nexus/gateway'); …; await lock.release() */
export async function lockDirectory(dir: string): Promise<DirectoryLock> {
  await mkdir(dir, { recursive: true, mode: 0o700 })
  const real = await realpath(dir)
  const file = join(real, LOCK_FILE)
  const me: LockHolder = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString() }
  const unlock = process.platform === 'linux' ? await holdSocket(real, file, me) : await holdFile(real, file, me)
  if (process.platform === 'linux') await writeFile(file, `${JSON.stringify(me)}\n`, { mode: 0o600 })
  let released: Promise<void> | undefined
  return {
    dir: real,
    release: () =>
      (released ??= (async () => {
        await rm(file, { force: true })
        await unlock()
      })()),
  }
}

const socketName = (real: string) => `\0nexus.dir-lock.${createHash('sha256').update(real).digest('hex').slice(0, 40)}`

async function holdSocket(real: string, file: string, me: LockHolder): Promise<() => Promise<void>> {
  const name = socketName(real)
  const server = createServer((socket) => socket.end(JSON.stringify(me)))
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen({ path: name }, () => resolve())
    })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err
    throw new StoreLockedError(`data directory ${real}`, (await askHolder(name)) ?? (await readHolder(file)) ?? {})
  }
  // The lock must not keep a process alive that has nothing else to do.
  server.unref()
  return () => new Promise<void>((resolve) => server.close(() => resolve()))
}

/** The live holder's own account of itself (it may be too busy to answer within a second). */
function askHolder(name: string): Promise<LockHolder | undefined> {
  return new Promise((resolve) => {
    let text = ''
    const socket = connect({ path: name })
    const timer = setTimeout(() => finish(undefined), 1000)
    const finish = (holder: LockHolder | undefined) => {
      clearTimeout(timer)
      socket.destroy()
      resolve(holder)
    }
    socket.setEncoding('utf8')
    socket.on('data', (chunk: string) => (text += chunk))
    socket.on('end', () => finish(parseHolder(text)))
    socket.on('error', () => finish(undefined))
  })
}

async function holdFile(real: string, file: string, me: LockHolder): Promise<() => Promise<void>> {
  for (let attempt = 0; ; attempt++) {
    try {
      await writeFile(file, `${JSON.stringify(me)}\n`, { flag: 'wx', mode: 0o600 })
      return async () => {}
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    }
    const holder = (await readHolder(file)) ?? {}
    const stale = holder.pid !== undefined && holder.host === hostname() && !pidAlive(holder.pid)
    if (!stale || attempt > 0) throw new StoreLockedError(`data directory ${real}`, holder)
    await rm(file, { force: true })
  }
}

async function readHolder(file: string): Promise<LockHolder | undefined> {
  return parseHolder(await readFile(file, 'utf8').catch(() => ''))
}

function parseHolder(text: string): LockHolder | undefined {
  try {
    const v = JSON.parse(text) as Record<string, unknown>
    if (typeof v.pid !== 'number') return undefined
    return { pid: v.pid, host: typeof v.host === 'string' ? v.host : undefined, startedAt: typeof v.startedAt === 'string' ? v.startedAt : undefined }
  } catch {
    return undefined
  }
}

/** Signal 0 checks existence only; EPERM means it exists under another user. */
function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}
