// A real local chain for tests, `nexus dev` and benchmarks: anvil (from @foundry-rs/anvil) with
// the Prague hardfork (EIP-2537 precompiles), on a free port, killed on stop — and never left
// running when the Node process that started it dies, however it dies: on Linux and macOS anvil
// runs under child-guard.mjs, in a process group of its own that stop() signals as a whole.
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { NexusError } from '@nexus/protocol'

const require = createRequire(import.meta.url)

export type StartAnvilOptions = {
  /** Default: 0 (a free port; `nexus dev` uses a fixed one). */
  port?: number
  /** Default: 31337. */
  chainId?: number
  /** Seconds between blocks; Default: undefined (a block per transaction). */
  blockTime?: number
  /** Default: 'prague'. */
  hardfork?: string
  /** Extra command-line flags passed as is. Default: []. */
  args?: string[]
  /** Give up if anvil is not listening after this many ms. Default: 20_000. */
  timeoutMs?: number
}

/** `process` is anvil's guard (child-guard.mjs) where there is one: its exit is anvil's exit. */
export type Anvil = { rpcUrl: string; port: number; process: ChildProcess; stop(): Promise<void> }

const childGuard = fileURLToPath(new URL('./child-guard.mjs', import.meta.url))
const guarded = process.platform !== 'win32'

export class AnvilStartError extends NexusError {
  override name = 'AnvilStartError'
  override code = 'NEXUS_ANVIL_START'
}

/** Path of the anvil binary: $ANVIL_BIN, else the platform package of @foundry-rs/anvil, else `anvil` on PATH. */
export function anvilBinary(): string {
  if (process.env.ANVIL_BIN) return process.env.ANVIL_BIN
  const os = process.platform === 'win32' ? 'win32' : process.platform
  const arch = process.arch === 'x64' ? 'amd64' : process.arch
  try {
    const pkg = require.resolve(`@foundry-rs/anvil-${os}-${arch}/package.json`)
    const bin = join(dirname(pkg), 'bin', os === 'win32' ? 'anvil.exe' : 'anvil')
    if (existsSync(bin)) return bin
  } catch {
    // fall through to PATH
  }
  return 'anvil'
}

/**
 * Starts anvil on a free port (it binds port 0 and we read the port it prints) and resolves once
 * it answers JSON-RPC. Example: `const chain = await startAnvil(); ...; await chain.stop()`.
 */
export async function startAnvil(opts: StartAnvilOptions = {}): Promise<Anvil> {
  const args = ['--port', String(opts.port ?? 0), '--hardfork', opts.hardfork ?? 'prague', '--chain-id', String(opts.chainId ?? 31337)]
  if (opts.blockTime !== undefined) args.push('--block-time', String(opts.blockTime))
  args.push(...(opts.args ?? []))
  // The guard's stdin is the lifeline: it closes when this process dies.
  const child = guarded
    ? spawn(process.execPath, [childGuard, anvilBinary(), ...args], { stdio: ['pipe', 'pipe', 'pipe'], detached: true })
    : spawn(anvilBinary(), args, { stdio: ['ignore', 'pipe', 'pipe'] })
  const signal = (sig: NodeJS.Signals) => {
    try {
      // The whole group: the guard and anvil, even if the guard is killed before it can forward.
      if (guarded && child.pid) process.kill(-child.pid, sig)
      else child.kill(sig)
    } catch {
      // already gone
    }
  }
  const timeoutMs = opts.timeoutMs ?? 20_000

  let output = ''
  const port = await new Promise<number>((resolvePort, reject) => {
    const timer = setTimeout(() => fail(new Error(`no "Listening on" line within ${timeoutMs} ms`)), timeoutMs)
    const fail = (cause: unknown) => {
      clearTimeout(timer)
      signal('SIGKILL')
      reject(new AnvilStartError('anvil did not start', { cause, metaMessages: output ? [output.slice(-2000)] : [] }))
    }
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      const m = /Listening on [^\s:]+:(\d+)/.exec(output)
      if (m) {
        clearTimeout(timer)
        child.stdout?.off('data', onData)
        child.stdout?.resume() // keep draining so anvil never blocks on a full pipe
        resolvePort(Number(m[1]))
      }
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.once('error', fail)
    child.once('exit', (code, signal) => fail(new Error(`anvil exited (code ${code}, signal ${signal})`)))
  })
  child.removeAllListeners('exit')
  const rpcUrl = `http://127.0.0.1:${port}`
  await waitForRpc(rpcUrl, timeoutMs).catch((err: unknown) => {
    signal('SIGKILL')
    throw err
  })

  let stopped: Promise<void> | undefined
  const stop = () =>
    (stopped ??= new Promise<void>((done) => {
      if (child.exitCode !== null || child.signalCode !== null) return done()
      child.once('exit', () => done())
      signal('SIGTERM')
      setTimeout(() => signal('SIGKILL'), 3_000).unref()
    }))
  return { rpcUrl, port, process: child, stop }
}

async function waitForRpc(rpcUrl: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  while (Date.now() < deadline) {
    try {
      const res = await fetch(rpcUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
      })
      if (res.ok) return
      last = new Error(`HTTP ${res.status}`)
    } catch (err) {
      last = err
    }
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new AnvilStartError('anvil did not answer JSON-RPC', { cause: last })
}
