// The `nexus dev` devnet: anvil with the example contracts; state and addresses survive a restart,
// and a chain that lost its contracts gets them redeployed.
import { afterEach, expect, test } from 'vitest'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Hex } from 'viem'
import { dealerKeygen } from '../../framework/src/attest/index.ts'
import * as ExampleToken from '../../contracts/generated/ExampleToken.ts'
import { startDevnet, type Devnet } from '../src/dev/devnet.ts'

let devnet: Devnet | undefined
afterEach(async () => {
  await devnet?.stop()
  devnet = undefined
})

test('contracts are deployed once, kept across restarts, and redeployed when the chain state is gone', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'nexus-devnet-'))
  const groupPublicKey = dealerKeygen({ t: 2, n: 3 }).network.groupPublicKey as Hex
  devnet = await startDevnet({ dir, groupPublicKey, port: 0 })
  const first = { ...devnet.contracts }
  // The token config of examples/token names the first address account 0 deploys to.
  expect(first.token).toBe('0x5FbDB2315678afecb367f032d93F642f64180aa3')
  const hash = await devnet.clients.wallet.writeContract({ address: first.token, abi: ExampleToken.abi, functionName: 'mint', args: [devnet.clients.wallet.account.address, 7n] } as never)
  await devnet.clients.public.waitForTransactionReceipt({ hash })
  const consumer = await devnet.deployConsumer(`0x${'11'.repeat(32)}`)
  await devnet.stop()

  devnet = await startDevnet({ dir, groupPublicKey, port: 0 })
  expect(devnet.contracts).toMatchObject(first)
  expect(await devnet.deployConsumer(`0x${'11'.repeat(32)}`)).toEqual(consumer)
  const balance = await devnet.clients.public.readContract({ address: first.token, abi: ExampleToken.abi, functionName: 'balanceOf', args: [devnet.clients.wallet.account.address] } as never)
  expect(balance).toBe(7n)
  await devnet.stop()

  await rm(join(dir, 'devnet', 'state.json'))
  devnet = await startDevnet({ dir, groupPublicKey, port: 0 })
  expect(devnet.contracts).toMatchObject(first) // same deployer, same nonces: same addresses
  expect(await devnet.clients.public.getCode({ address: first.inbox })).not.toBe('0x')
}, 120_000)
