// Turns a decorator's declaration into a manifest trigger spec, checking it against
// nexus.config.ts. Every problem is a TriggerValidationError naming the decorator's file and line
// and what the config does know, so the fix is obvious.
import { encodeEventTopics, isAddress, toEventSelector, type Abi, type AbiEvent, type Hex } from 'viem'
import { configDefaults, defaultThreshold, type NexusConfig } from '../config/define.ts'
import type { Registration } from '../decorators/registry.ts'
import { routePatternProblem } from '@nexus/protocol'
import type { ChainSpec, TriggerSpec } from '@nexus/protocol'
import { ConfigLoadError, TriggerValidationError } from './errors.ts'

const list = (names: string[]) => (names.length ? names.join(', ') : '(none)')

/** Structural checks of the config itself (before any decorator is looked at). */
export function validateConfig(config: NexusConfig, file: string): void {
  const fail = (msg: string) => {
    throw new ConfigLoadError(`${file}: ${msg}`)
  }
  if (!config || typeof config !== 'object') fail('the default export must be defineConfig({ ... })')
  const chains = Object.entries(config.chains ?? {})
  for (const [name, c] of chains) if (!Number.isSafeInteger(c.chainId) || c.chainId <= 0) fail(`chain "${name}": chainId must be a positive integer`)
  for (const [name, c] of Object.entries(config.contracts ?? {})) {
    if (!config.chains?.[c.chain]) fail(`contract "${name}": unknown chain "${c.chain}"; known chains: ${list(chains.map(([n]) => n))}`)
    if (!isAddress(c.address, { strict: false })) fail(`contract "${name}": "${c.address}" is not an address`)
    if (!Array.isArray(c.abi)) fail(`contract "${name}": abi must be an array (e.g. viem's erc20Abi)`)
  }
  const n = config.replicas ?? configDefaults.replicas
  const t = config.threshold ?? defaultThreshold(n)
  if (!Number.isSafeInteger(n) || n < 1) fail('`replicas` must be a positive integer')
  if (!Number.isSafeInteger(t) || t < 1 || t > n) fail(`\`threshold\` must be an integer in 1..${n} (replicas)`)
  const limitKeys = ['fuel', 'memoryPages', 'maxValueBytes', 'maxFileBytes', 'maxKeyBytes', 'maxOutputBytes', 'maxWriteKeys', 'maxWriteBytes']
  for (const [k, v] of Object.entries(config.limits ?? {})) {
    if (!limitKeys.includes(k)) fail(`unknown limit "${k}"; known limits: ${limitKeys.join(', ')}`)
    if (!Number.isSafeInteger(v) || (v as number) <= 0) fail(`limits.${k} must be a positive integer`)
  }
}

/** The chains of a config as the gateway's trigger service takes them. */
export function chainSpecs(config: NexusConfig): ChainSpec[] {
  return Object.entries(config.chains ?? {}).map(([name, c]) => ({
    name,
    chainId: c.chainId,
    rpcUrl: c.rpcUrl ?? (name === 'devnet' ? configDefaults.devnetRpcUrl : ''),
    finality: c.finality ?? config.finality ?? configDefaults.finality,
    ...(c.pollingIntervalMs !== undefined ? { pollingIntervalMs: c.pollingIntervalMs } : {}),
    ...(c.maxLogRange !== undefined ? { maxLogRange: c.maxLogRange } : {}),
  }))
}

const cronField = /^(\*|\d+(-\d+)?)(\/\d+)?(,(\*|\d+(-\d+)?)(\/\d+)?)*$/
const cronRanges: [number, number][] = [
  [0, 59],
  [0, 23],
  [1, 31],
  [1, 12],
  [0, 7],
]

function cronProblem(schedule: unknown): string | undefined {
  if (typeof schedule !== 'string') return 'the schedule must be a string'
  const fields = schedule.trim().split(/\s+/)
  if (fields.length !== 5) return `"${schedule}" must have 5 fields (minute hour day-of-month month day-of-week)`
  for (let i = 0; i < 5; i++) {
    const f = fields[i]!
    if (!cronField.test(f)) return `field ${i + 1} ("${f}") of "${schedule}" is not a cron field`
    const [lo, hi] = cronRanges[i]!
    for (const num of f.match(/\d+/g) ?? []) {
      if (f.includes(`/${num}`) && Number(num) > 0) continue
      if (Number(num) < lo || Number(num) > hi) return `field ${i + 1} ("${f}") of "${schedule}" is outside ${lo}-${hi}`
    }
  }
  return undefined
}

export function triggerSpec(config: NexusConfig, registration: Registration): TriggerSpec {
  const { declaration: d, site } = registration
  const fail = (msg: string): never => {
    throw new TriggerValidationError(msg, site)
  }
  const chainNames = Object.keys(config.chains ?? {})
  switch (d.kind) {
    case 'event': {
      const contracts = config.contracts ?? {}
      const contract = contracts[d.contract]
      if (!contract) return fail(`@onEvent: unknown contract "${String(d.contract)}". Known contracts: ${list(Object.keys(contracts))}`)
      const events = (contract.abi as Abi).filter((item): item is AbiEvent => item.type === 'event')
      const abi = events.find((e) => e.name === d.event)
      if (!abi) return fail(`@onEvent: contract "${d.contract}" has no event "${String(d.event)}". Known events: ${list(events.map((e) => e.name))}`)
      const chain = config.chains![contract.chain]!
      let topics: (Hex | Hex[] | null)[] | undefined
      if (d.filter) {
        const indexed = abi.inputs.filter((i) => i.indexed).map((i) => i.name ?? '')
        const notIndexed = Object.keys(d.filter).filter((k) => !indexed.includes(k))
        if (notIndexed.length)
          return fail(
            `@onEvent: filter of ${d.contract}.${d.event} names ${notIndexed.join(', ')}; only indexed arguments can be filtered (${indexed.join(', ') || 'none'})`,
          )
        try {
          topics = (
            encodeEventTopics({ abi: [abi], eventName: abi.name, args: d.filter } as Parameters<typeof encodeEventTopics>[0]) as (Hex | Hex[] | null)[]
          ).slice(1)
        } catch (cause) {
          throw new TriggerValidationError(`@onEvent: filter of ${d.contract}.${d.event} has a value that does not fit its argument's type`, site, { cause })
        }
        while (topics.length && topics.at(-1) === null) topics.pop()
      }
      return {
        kind: 'event',
        chain: contract.chain,
        chainId: chain.chainId,
        contract: d.contract,
        address: contract.address.toLowerCase() as Hex,
        event: abi.name,
        abi,
        topic0: toEventSelector(abi),
        ...(topics?.length ? { topics } : {}),
        ...(contract.startBlock !== undefined ? { startBlock: BigInt(contract.startBlock).toString() } : {}),
      }
    }
    case 'block': {
      const chainName =
        d.chain ??
        (chainNames.length === 1 ? chainNames[0]! : fail(`@onBlock: the config has several chains; name one with { chain }. Known chains: ${list(chainNames)}`))
      const chain = config.chains?.[chainName]
      if (!chain) return fail(`@onBlock: unknown chain "${chainName}". Known chains: ${list(chainNames)}`)
      const every = d.every ?? 1
      if (!Number.isSafeInteger(every) || every < 1) return fail(`@onBlock: every must be a positive integer, got ${String(d.every)}`)
      return { kind: 'block', chain: chainName, chainId: chain.chainId, every }
    }
    case 'route': {
      if (!['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].includes(d.method))
        return fail(`@onHttp: method must be GET, POST, PUT, PATCH or DELETE, got "${d.method}"`)
      const problem = routePatternProblem(d.path)
      if (problem) return fail(`@onHttp: ${problem}`)
      return { kind: 'route', method: d.method, path: d.path }
    }
    case 'cron': {
      const problem = cronProblem(d.schedule)
      if (problem) return fail(`@onCron: ${problem}`)
      return { kind: 'cron', schedule: d.schedule.trim().split(/\s+/).join(' ') }
    }
  }
}
