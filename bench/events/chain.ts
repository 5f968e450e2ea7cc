// The chain both indexers read: a fresh anvil (--hardfork prague), ExampleToken deployed first by
// account 0 (so at the address examples/token's config names), one mint and then `transfers`
// Transfer logs made by transferMany in batches of 1,000, then 64 empty blocks. Every Transfer of the token from block 0
// is indexed by both sides: the mint's plus the transfers.
import type { Address } from 'viem'
import * as ExampleToken from '@nexus/contracts/generated/ExampleToken'
import { createClients, deployArtifact, startAnvil, type Anvil } from '@nexus/contracts'

export type BenchChain = {
  anvil: Anvil
  token: Address
  /** Transfer logs of the token on the chain (the mint's included). */
  events: number
  clients: ReturnType<typeof createClients>
}

const sink: Address = '0x00000000000000000000000000000000000b4c4f'

export async function makeChain(transfers: number, expectedToken: Address): Promise<BenchChain> {
  const anvil = await startAnvil({ args: ['--gas-limit', '100000000'] })
  try {
    const clients = createClients(anvil.rpcUrl)
    const { address: token } = await deployArtifact(clients, ExampleToken)
    if (token.toLowerCase() !== expectedToken.toLowerCase()) throw new Error(`token deployed at ${token}, the example's config names ${expectedToken}`)
    const send = async (functionName: 'mint' | 'transferMany', args: readonly [Address, bigint]) =>
      clients.public.waitForTransactionReceipt({ hash: await clients.wallet.writeContract({ address: token, abi: ExampleToken.abi, functionName, args }) })
    await send('mint', [clients.wallet.account.address, BigInt(transfers)])
    for (let left = transfers; left > 0; left -= 1000) await send('transferMany', [sink, BigInt(Math.min(1000, left))])
    // Ponder treats the last 30 blocks of an unknown chain (31337 included) as unfinalized and
    // indexes them live, after /ready: empty blocks on top put every Transfer in its backfill.
    await fetch(anvil.rpcUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'anvil_mine', params: ['0x40'] }),
    })
    return { anvil, token, events: transfers + 1, clients }
  } catch (err) {
    await anvil.stop()
    throw err
  }
}
