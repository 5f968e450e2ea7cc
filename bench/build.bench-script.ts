// Author-side benchmarks (issue 5): `nexus build` of the token example (cold, then unchanged) and
// what the generated entry costs per invocation: a Transfer log with the args the gateway decoded,
// the same log decoded with viem inside the component (payloads without args), and a route
// invocation that decodes nothing.
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { encodeAbiParameters, encodeEventTopics, erc20Abi, getAbiItem, toHex, zeroAddress, type Hex } from 'viem'
import { compileComponent } from '@nexus/runtime'
import { createSandbox } from '@nexus/runtime'
import { buildProject } from '@nexus/framework/build'
import { encodeTriggerPayload, eventPayloadArgs } from '@nexus/protocol'

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))]!
const ms = (x: number) => `${x.toFixed(3)} ms`

export default async function () {
  const config = fileURLToPath(new URL('../examples/token/nexus.config.ts', import.meta.url))
  const out = await mkdtemp(join(tmpdir(), 'nexus-bench-build-'))
  let t = performance.now()
  const project = await buildProject(config, { out })
  const cold = performance.now() - t
  t = performance.now()
  await buildProject(config, { out })
  const warm = performance.now() - t
  const balances = project.functions.find((f) => f.id === 'token-balances')!
  const { readFile } = await import('node:fs/promises')
  const bundleBytes = (await readFile(join(balances.dir!, 'bundle.js'))).length
  console.log('| `nexus build`, token example (3 functions) | value |')
  console.log('|---|---|')
  console.log(`| cold build (bundle + componentize each function) | ${(cold / 1000).toFixed(1)} s (${(cold / 3000).toFixed(1)} s per function) |`)
  console.log(`| rebuild, nothing changed (components reused) | ${(warm / 1000).toFixed(2)} s |`)
  console.log(`| bundle of token-balances (handler + guest runtime + viem) | ${(bundleBytes / 1024).toFixed(0)} KiB |`)
  console.log(`| component of token-balances | ${(balances.component!.length / 1024 / 1024).toFixed(2)} MiB |`)

  const cacheDir = await mkdtemp(join(tmpdir(), 'nexus-bench-cache-'))
  const { dir } = await compileComponent(balances.component!, { cacheDir, memoryPages: balances.manifest!.limits.memoryPages })
  const sandbox = createSandbox()
  const noState = async () => null
  // The same Transfer log twice: as the gateway writes it now (args decoded outside the guest) and
  // as it did before (topics and data only: the guest decodes with viem in the interpreter).
  const transfer = (i: number, decoded: boolean) => {
    const topics = encodeEventTopics({
      abi: erc20Abi,
      eventName: 'Transfer',
      args: { from: zeroAddress, to: '0x70997970c51812dc3a010c7d01b50e20d17dc79c' },
    }) as Hex[]
    const data = encodeAbiParameters([{ type: 'uint256' }], [BigInt(i)])
    return encodeTriggerPayload({
      kind: 'event',
      chainId: '31337',
      blockNumber: String(i),
      blockHash: toHex(i, { size: 32 }),
      logIndex: 0,
      transactionHash: toHex(i, { size: 32 }),
      transactionIndex: 0,
      address: '0x5fbdb2315678afecb367f032d93f642f64180aa3',
      topics,
      data,
      ...(decoded ? eventPayloadArgs(getAbiItem({ abi: erc20Abi, name: 'Transfer' }), topics, data) : {}),
    })
  }
  const route = encodeTriggerPayload({ kind: 'route', method: 'GET', path: '/balance/0x70997970c51812dc3a010c7d01b50e20d17dc79c', query: [], body: '0x' })
  async function run(trigger: string, input: (i: number) => Uint8Array, n: number) {
    const times: number[] = []
    let fuel = 0n
    for (let i = 0; i < n + 20; i++) {
      const info = {
        functionId: 'token-balances',
        seq: BigInt(i + 1),
        trigger,
        chainId: 31337n,
        blockNumber: BigInt(i),
        timestampMs: 0n,
        randomSeed: `0x${'11'.repeat(32)}` as Hex,
      }
      const started = performance.now()
      const outcome = await sandbox.execute({
        codeHash: balances.manifest!.codeHash,
        dir,
        info,
        input: input(i),
        limits: balances.manifest!.limits,
        read: noState,
      })
      if (outcome.status !== 0) throw new Error(`${trigger} invocation failed: ${new TextDecoder().decode(outcome.output)}`)
      if (i >= 20) times.push(performance.now() - started)
      fuel = outcome.fuelUsed
    }
    return { times, fuel }
  }
  const ev = await run('event', (i) => transfer(i, true), 300)
  const legacy = await run('event', (i) => transfer(i, false), 300)
  const rt = await run('route', () => route, 300)
  await sandbox.close()
  console.log('')
  console.log('| token-balances through the sandbox worker (no store) | p50 | p99 | fuel |')
  console.log('|---|---|---|---|')
  console.log(
    `| Transfer event: payload with the gateway's args → revive → 2 KV writes + 1 log line | ${ms(pct(ev.times, 50))} | ${ms(pct(ev.times, 99))} | ${ev.fuel} |`,
  )
  console.log(
    `| Transfer event, payload without args: ABI decode in the guest (checksummed addresses) → same | ${ms(pct(legacy.times, 50))} | ${ms(pct(legacy.times, 99))} | ${legacy.fuel} |`,
  )
  console.log(`| GET /balance/:addr: payload → route match → 1 KV read | ${ms(pct(rt.times, 50))} | ${ms(pct(rt.times, 99))} | ${rt.fuel} |`)
}
