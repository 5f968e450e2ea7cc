// Runs inside the component: turns the invocation's input bytes into the typed context of the
// handler's trigger (protocol/src/triggers/payload.ts), calls the handler and encodes its result.
// Only the generated entry (framework/src/build/entry.ts) imports this file.
import { decodeFunctionResult, encodeFunctionData, type Abi, type Address, type Hex } from 'viem'
import type { BlockPayload, CronPayload, EventPayload, RoutePayload, TriggerPayload } from '@nexus/protocol'
import type { EventTriggerSpec, RouteTriggerSpec, TriggerSpec } from '@nexus/protocol'
import type { Host } from './host.ts'
import { selectRoute } from '@nexus/protocol'
import { decodeEvent } from './decode-event.ts'
import { encodeOutput, toJson } from './output.ts'
import type { AnyContext, BaseContext, ChainContext, FsContext, KvContext } from './types.ts'

const enc = new TextEncoder()
const dec = new TextDecoder()
const bytes = (data: Uint8Array | string) => (typeof data === 'string' ? enc.encode(data) : data)

function kvContext(kv: Host['kv']): KvContext {
  // The QuickJS bindings give `null` for an absent option; the context promises `undefined`.
  const get = (key: string) => kv.get(key) ?? undefined
  return {
    get,
    set: (key, value) => kv.set(key, value),
    delete: (key) => kv.delete(key),
    scan: (prefix, options = {}) => kv.scan(prefix, options.startAfter, options.limit ?? 100),
    getString: (key) => {
      const v = get(key)
      return v === undefined ? undefined : dec.decode(v)
    },
    setString: (key, value) => kv.set(key, enc.encode(value)),
    getJson: <T>(key: string) => {
      const v = get(key)
      return v === undefined ? undefined : (JSON.parse(dec.decode(v)) as T)
    },
    setJson: (key, value) => kv.set(key, enc.encode(toJson(value))),
  }
}

function fsContext(fs: Host['fs']): FsContext {
  const withFd = <T>(path: string, mode: Parameters<Host['fs']['open']>[1], body: (fd: number) => T): T => {
    const fd = fs.open(path, mode)
    try {
      return body(fd)
    } finally {
      fs.close(fd)
    }
  }
  const readFile = (path: string) =>
    withFd(path, { read: true }, (fd) => {
      const chunks: Uint8Array[] = []
      let total = 0
      for (;;) {
        const chunk = fs.read(fd, 65536)
        if (chunk.length === 0) break
        chunks.push(chunk)
        total += chunk.length
      }
      const out = new Uint8Array(total)
      let at = 0
      for (const c of chunks) {
        out.set(c, at)
        at += c.length
      }
      return out
    })
  return {
    readFile,
    readText: (path) => dec.decode(readFile(path)),
    writeFile: (path, data) => void withFd(path, { write: true, create: true, truncate: true }, (fd) => fs.write(fd, bytes(data))),
    appendFile: (path, data) => void withFd(path, { write: true, create: true, append: true }, (fd) => fs.write(fd, bytes(data))),
    exists: (path) => {
      try {
        fs.stat(path)
        return true
      } catch {
        return false
      }
    },
    readdir: (path) => fs.readdir(path),
    mkdir: (path) => fs.mkdir(path),
    unlink: (path) => fs.unlink(path),
    rename: (from, to) => fs.rename(from, to),
  }
}

/** A chain read's `err` (revert, bad argument) as an Error the handler can catch and read. */
function chainRead<T>(op: string, read: () => T): T {
  try {
    return read()
  } catch (err) {
    const payload = (err as { payload?: unknown } | null)?.payload
    throw new Error(`chain.${op}: ${typeof payload === 'string' ? payload : err instanceof Error ? err.message : String(err)}`)
  }
}

function chainContext(chain: Host['chain']): ChainContext {
  const call = (request: { to: Address; data: Hex }) => chainRead('call', () => chain.call(request.to, request.data) as Hex)
  return {
    call,
    getBalance: (address) => BigInt(chainRead('getBalance', () => chain.getBalance(address))),
    getLogs: (filter) => JSON.parse(chainRead('getLogs', () => chain.getLogs(toJson(filter)))) as unknown[],
    readContract: (request) => {
      const { address, abi, functionName, args } = request as { address: Address; abi: Abi; functionName: string; args?: readonly unknown[] }
      const data = encodeFunctionData({ abi, functionName, args } as Parameters<typeof encodeFunctionData>[0])
      return decodeFunctionResult({ abi, functionName, data: call({ to: address, data }) } as Parameters<typeof decodeFunctionResult>[0]) as never
    },
  }
}

function baseContext(host: Host): BaseContext {
  return {
    kv: kvContext(host.kv),
    fs: fsContext(host.fs),
    chain: chainContext(host.chain),
    log: {
      debug: (m) => host.log.write('debug', m),
      info: (m) => host.log.write('info', m),
      warn: (m) => host.log.write('warn', m),
      error: (m) => host.log.write('error', m),
    },
    env: { invocation: host.env.invocation(), now: () => host.env.now(), randomBytes: (n) => host.env.randomBytes(n) },
  }
}

function eventContext(base: BaseContext, specs: TriggerSpec[], p: EventPayload): AnyContext {
  const spec = specs.find(
    (s): s is EventTriggerSpec =>
      s.kind === 'event' &&
      BigInt(s.chainId) === BigInt(p.chainId) &&
      s.address.toLowerCase() === p.address.toLowerCase() &&
      s.topic0.toLowerCase() === p.topics[0]?.toLowerCase(),
  )
  if (!spec) throw new Error(`no @onEvent of this function matches the log of ${p.address} with topic0 ${p.topics[0]}`)
  const args = decodeEvent(spec.abi, p.topics, p.data)
  return {
    ...base,
    trigger: 'event',
    event: {
      name: spec.event,
      args,
      contract: spec.contract,
      log: {
        chainId: BigInt(p.chainId),
        address: p.address,
        blockNumber: BigInt(p.blockNumber),
        blockHash: p.blockHash,
        logIndex: p.logIndex,
        transactionHash: p.transactionHash,
        transactionIndex: p.transactionIndex,
        topics: p.topics,
        data: p.data,
      },
    },
  } as AnyContext
}

function routeContext(base: BaseContext, specs: TriggerSpec[], p: RoutePayload): AnyContext {
  const method = p.method.toUpperCase()
  const hit = selectRoute(
    specs.filter((s): s is RouteTriggerSpec => s.kind === 'route'),
    method,
    p.path,
  )
  if (!hit) throw new Error(`no @onHttp route of this function matches ${method} ${p.path}`)
  const body = hexToBytes(p.body)
  return {
    ...base,
    trigger: 'route',
    request: { method, path: p.path, params: hit.params, query: p.query, body, text: () => dec.decode(body), json: <T>() => JSON.parse(dec.decode(body)) as T },
  }
}

function hexToBytes(hex: Hex): Uint8Array {
  const h = hex.slice(2)
  const out = new Uint8Array(h.length / 2)
  for (let i = 0; i < out.length; i++) out[i] = parseInt(h.slice(2 * i, 2 * i + 2), 16)
  return out
}

function contextFor(host: Host, specs: TriggerSpec[], input: Uint8Array): AnyContext {
  const trigger = host.env.invocation().trigger
  let payload: TriggerPayload
  try {
    payload = JSON.parse(dec.decode(input)) as TriggerPayload
  } catch {
    throw new Error(`input is not a trigger payload (invocation trigger "${trigger}")`)
  }
  // Only the gateway's trigger service and router write payloads with these trigger tags; a plain
  // HTTP invocation carrying a look-alike body must not pass for an on-chain event.
  if (!payload || payload.kind !== trigger || !specs.some((s) => s.kind === trigger)) {
    throw new Error(`this function handles ${[...new Set(specs.map((s) => s.kind))].join(', ')} triggers, not "${trigger}"`)
  }
  const base = baseContext(host)
  switch (payload.kind) {
    case 'event':
      return eventContext(base, specs, payload)
    case 'block': {
      const b = payload as BlockPayload
      return {
        ...base,
        trigger: 'block',
        block: { chainId: BigInt(b.chainId), number: BigInt(b.number), hash: b.hash, parentHash: b.parentHash, timestamp: BigInt(b.timestamp) },
      }
    }
    case 'cron': {
      const c = payload as CronPayload
      return { ...base, trigger: 'cron', tick: { schedule: c.schedule, scheduledAtMs: BigInt(c.scheduledAtMs) } }
    }
    case 'route':
      return routeContext(base, specs, payload)
  }
}

/**
 * The body of every generated `handle` export. An async handler's Promise is encoded when it settles:
 * the runtime's guest prelude runs the Promise jobs to the end before the export returns.
 */
export function runFunction(host: Host, specs: TriggerSpec[], handler: (ctx: never) => unknown, input: Uint8Array): Uint8Array | PromiseLike<Uint8Array> {
  const result = handler(contextFor(host, specs, input) as never)
  if (result && typeof (result as { then?: unknown }).then === 'function') return (result as PromiseLike<unknown>).then(encodeOutput)
  return encodeOutput(result)
}
