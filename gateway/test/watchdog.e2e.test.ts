// Watchdog aborts through the log (issue 15, item 5): when a replica's wall-clock backstop fires,
// the invocation is not retried forever. The gateway records the abort in its log and resends the
// invocation marked aborted; every replica records the same fixed result (out_of_fuel, fuelUsed =
// the fuel limit, state unchanged) without running it, and it is attested like any result. Another
// function keeps being served meanwhile. Real replicas (in this process, so the test can give them a
// short watchdog) behind real HTTP servers, a real gateway, real BLS shares.
import { mkdtemp, readFile } from 'node:fs/promises'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { zeroAddress, type Hex } from 'viem'
import { verifyResult } from '@nexus/protocol/attest'
import { buildHandler, createReplica, createReplicaServer, type Replica } from '@nexus/runtime'
import { ensureGatewayKey, ensureKeys } from '@nexus/cli/dev'
import type { Gateway } from '../src/index.ts'
import { deploy, helloArtifact, startGateway, type Stack } from './stack.ts'

const WATCHDOG_MS = 3000
const SLOW_FUEL = 1_000_000_000 // 20× the default: ≈ 18 s of spinning on an idle machine, far past the 3 s watchdog
const replicas: Replica[] = []
const servers: Server[] = []
let gateway: Gateway
let url: string
let network: Stack['network']

const json = async (res: Response) => ({ status: res.status, body: (await res.json()) as any })
const invoke = (fn: string, body: string, timeoutMs = 60_000) =>
  fetch(`${url}/v1/functions/${fn}/invoke?timeoutMs=${timeoutMs}`, { method: 'POST', body, headers: { 'content-type': 'application/json' } })

beforeAll(async () => {
  const root = await mkdtemp(join(tmpdir(), 'nexus-watchdog-'))
  const keysDir = join(root, 'keys')
  ;({ network } = await ensureKeys(keysDir, { t: 3, n: 4 }))
  const gatewayKey = await ensureGatewayKey(keysDir)
  const urls: string[] = []
  for (let index = 1; index <= 4; index++) {
    const key = JSON.parse(await readFile(join(keysDir, `replica-${index}.key.json`), 'utf8')) as { index: number; secretKey: Hex }
    const replica = await createReplica({
      index,
      cacheDir: join(root, 'cache'),
      chainId: BigInt(network.chainId ?? 31337),
      verifier: (network.verifier ?? zeroAddress) as Hex,
      shareKey: { index: key.index, secretKey: key.secretKey },
      watchdogMs: WATCHDOG_MS,
    })
    replicas.push(replica)
    const server = createReplicaServer(replica, { gatewayKey })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    servers.push(server)
    urls.push(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)
  }
  ;({ gateway, url } = await startGateway({ root, keysDir, network, replicas: [], gatewayKey }, urls))
  expect((await deploy(url, await helloArtifact('fast'))).status).toBeLessThan(300)
  const slow = await buildHandler(fileURLToPath(new URL('../../runtime/test/fixtures/slow-handler.ts', import.meta.url)), {
    name: 'slow',
    limits: { fuel: SLOW_FUEL },
  })
  const res = await deploy(url, { manifest: slow.manifest as unknown as Record<string, unknown>, component: Buffer.from(slow.component).toString('base64') })
  expect(res.status).toBeLessThan(300)
})

afterAll(async () => {
  await gateway?.close()
  for (const s of servers) s.close()
  await Promise.allSettled(replicas.map((r) => r.close()))
})

test('an invocation that trips the watchdog is attested as an abort on every replica; another function is served meanwhile', async () => {
  // Warm the fast function (its first run also compiles it inside the sandbox).
  expect((await json(await invoke('fast', '{"name":"warm"}'))).body.state).toBe('attested')

  const started = performance.now()
  const accepted = await json(await invoke('slow', JSON.stringify({ op: 'slow-spin', n: 1e15 }), 0))
  expect(accepted.status).toBe(202)
  const fastTimes: number[] = []
  // The other function keeps being served while the slow one runs into the watchdog and is aborted.
  let slow: { status: number; body: any } = accepted
  for (let k = 0; k < 3 || slow.body.state === 'pending'; k++) {
    const t = performance.now()
    const { status, body } = await json(await invoke('fast', JSON.stringify({ name: `during-${k}` })))
    expect(status).toBe(200)
    expect(body.state).toBe('attested')
    fastTimes.push(Math.round(performance.now() - t))
    slow = await json(await fetch(`${url}${accepted.body.resultUrl}`))
    if (performance.now() - started > 240_000) break
  }
  const { status, body } = slow
  console.log(`watchdog abort attested after ${Math.round(performance.now() - started)} ms; fast invocations meanwhile (ms): ${fastTimes.join(', ')}`)
  expect(status).toBe(200)
  expect(body.state).toBe('attested')
  expect(body.status).toBe('out_of_fuel')
  expect(BigInt(body.result.fields.fuelUsed)).toBe(BigInt(SLOW_FUEL))
  expect(Buffer.from(body.result.output.slice(2), 'hex').toString()).toBe('aborted: the invocation exceeded the wall-clock watchdog')
  expect(body.result.fields.stateRootBefore).toBe(body.result.fields.stateRootAfter)
  expect((await verifyResult(body.result, network)).ok).toBe(true)

  // Every replica recorded the same abort: re-sent, each answers from its record with the same digest.
  const request = {
    functionId: 'slow',
    codeHash: body.codeHash,
    seq: 1n,
    input: new TextEncoder().encode(JSON.stringify({ op: 'slow-spin', n: 1e15 })),
    trigger: 'http',
    timestampMs: BigInt(body.timestampMs),
    abort: 'watchdog' as const,
  }
  const digests = new Set<string>()
  for (const replica of replicas) {
    await expect.poll(async () => (await replica.state('slow')).lastAppliedSeq, { timeout: 60_000 }).toBe(1n)
    digests.add((await replica.execute(request)).digest)
  }
  expect([...digests]).toEqual([body.result.digest])

  // The lane goes on: the next invocation of the slow function runs normally.
  const next = await json(await invoke('slow', JSON.stringify({ op: 'echo' })))
  expect(next.body.state).toBe('attested')
  expect(next.body.status).toBe('ok')
})
