// The gateway starts without its WebAssembly curve (building it is ≈ 0.5 s of JavaScript on the
// gateway's thread, kept off `nexus dev`'s start): until the curve's promise resolves, combining and
// checking run on noble; once it resolves, the scheduler uses it. Results verify either way.
import { afterAll, expect, test } from 'vitest'
import { loadWasmCurve, verifyResult, type WasmCurve } from '@nexus/protocol/attest'
import { startInProcessStack, type InProcessStack } from './inprocess-stack.ts'
import { API_KEY, deploy, helloArtifact } from './stack.ts'

let stack: InProcessStack | undefined
afterAll(() => stack?.close())

/** The real curve, with every call counted. */
function counted(curve: WasmCurve): { curve: WasmCurve; calls: () => number } {
  let calls = 0
  const wrapped = Object.fromEntries(
    Object.entries(curve).map(([name, f]) => [
      name,
      (...args: unknown[]) => {
        calls++
        return (f as (...a: unknown[]) => unknown)(...args)
      },
    ]),
  ) as WasmCurve
  return { curve: wrapped, calls: () => calls }
}

test('results are attested on noble before the curve arrives, and with the curve after', async () => {
  let arrive!: (curve: WasmCurve | undefined) => void
  const curve = new Promise<WasmCurve | undefined>((resolve) => (arrive = resolve))
  stack = await startInProcessStack({ gateway: { apiKeys: [API_KEY], curve } })
  expect((await deploy(stack.url, await helloArtifact())).status).toBe(201)
  const invoke = async (name: string) => {
    const res = await fetch(`${stack!.url}/v1/functions/hello/invoke`, { method: 'POST', body: JSON.stringify({ name }) })
    expect(res.status).toBe(200)
    const { result } = (await res.json()) as { result: unknown }
    expect((await verifyResult(result as never, stack!.network, { functionId: 'hello' })).ok).toBe(true)
  }
  const wasm = counted((await loadWasmCurve())!)
  await invoke('before')
  await invoke('before again')
  expect(wasm.calls()).toBe(0)

  arrive(wasm.curve)
  await curve
  await invoke('after')
  await invoke('after again')
  // Combining (decode, multiply) and the deferred check (hash, subgroup, pairing) now go through it.
  expect(wasm.calls()).toBeGreaterThan(0)
}, 120_000)
