// The local chain of `nexus dev`: anvil (--hardfork prague) on a fixed port with its state kept in
// `<dir>/devnet/state.json` between runs (anvil `--state`), and the example contracts deployed
// once: ExampleToken first (so it lands at 0x5FbDB2315678afecb367f032d93F642f64180aa3, the address
// examples/token/nexus.config.ts names), then NexusVerifier (the dev group key) and NexusInbox.
// Addresses are kept in `<dir>/devnet/contracts.json`; a contract whose code is gone is redeployed.
import { existsSync } from 'node:fs'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Address, Hex } from 'viem'
import { startAnvil, type Anvil } from '@nexus/contracts'
import { createClients, deployArtifact, FunctionMode, registerFunction, toEip2537Key, type Clients } from '@nexus/contracts'
import * as ExampleToken from '@nexus/contracts/generated/ExampleToken'
import * as NexusVerifier from '@nexus/contracts/generated/NexusVerifier'
import * as NexusInbox from '@nexus/contracts/generated/NexusInbox'
import * as NexusConsumerExample from '@nexus/contracts/generated/NexusConsumerExample'

export const DEVNET_CHAIN_ID = 31337
export const DEVNET_PORT = 8545
/**
 * anvil's default account 1 (a public test key): the inbox relayer of `nexus dev`. Account 0 deploys
 * the contracts, so the relayer's `fulfil` transactions never compete with it for nonces.
 */
export const DEVNET_RELAYER_KEY: Hex = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d'

export type DevnetContracts = { token: Address; verifier: Address; inbox: Address; consumer?: Address; consumerFunction?: { codeHash: Hex; functionId: Hex } }

export type Devnet = {
  rpcUrl: string
  chainId: number
  contracts: DevnetContracts
  clients: Clients
  /** Register `codeHash` in the inbox and deploy the example consumer calling it (once per code hash). */
  deployConsumer(codeHash: Hex): Promise<{ consumer: Address; functionId: Hex }>
  /** Stops anvil; it writes its state file on the way out. */
  stop(): Promise<void>
}

export type StartDevnetParameters = {
  /** The dev stack directory (`.nexus`). */
  dir: string
  /** Compressed G2 group public key of the dev network (network.json). */
  groupPublicKey: Hex
  /** Default: 8545. */
  port?: number
  /** Keep state between runs. Default: true. */
  persist?: boolean
}

export async function startDevnet(p: StartDevnetParameters): Promise<Devnet> {
  const home = join(p.dir, 'devnet')
  await mkdir(home, { recursive: true })
  const stateFile = join(home, 'state.json')
  const contractsFile = join(home, 'contracts.json')
  const persist = p.persist ?? true
  const anvil: Anvil = await startAnvil({
    port: p.port ?? DEVNET_PORT,
    chainId: DEVNET_CHAIN_ID,
    // Dump every 5 s as well as on exit, so a killed `nexus dev` loses at most a few seconds.
    args: persist ? ['--state', stateFile, '--state-interval', '5'] : [],
  })
  try {
    const clients = createClients(anvil.rpcUrl, undefined, DEVNET_CHAIN_ID)
    const saved = existsSync(contractsFile) ? (JSON.parse(await readFile(contractsFile, 'utf8')) as DevnetContracts) : undefined
    const live = async (address: Address | undefined) => !!address && ((await clients.public.getCode({ address })) ?? '0x') !== '0x'
    const deploy = async (artifact: Parameters<typeof deployArtifact>[1], args: readonly unknown[] = []) =>
      (await deployArtifact(clients, artifact, args)).address
    const contracts: DevnetContracts =
      saved && (await live(saved.token)) && (await live(saved.verifier)) && (await live(saved.inbox))
        ? saved
        : await (async () => {
            const token = await deploy(ExampleToken)
            const verifier = await deploy(NexusVerifier, [toEip2537Key(p.groupPublicKey)])
            const inbox = await deploy(NexusInbox, [verifier])
            return { token, verifier, inbox }
          })()
    const save = () => writeFile(contractsFile, `${JSON.stringify(contracts, null, 2)}\n`)
    await save()
    return {
      rpcUrl: anvil.rpcUrl,
      chainId: DEVNET_CHAIN_ID,
      contracts,
      clients,
      async deployConsumer(codeHash) {
        if (contracts.consumer && contracts.consumerFunction?.codeHash === codeHash && (await live(contracts.consumer)))
          return { consumer: contracts.consumer, functionId: contracts.consumerFunction.functionId }
        const functionId = await registerFunction(clients, { inbox: contracts.inbox, mode: FunctionMode.Bls, codeHash })
        contracts.consumer = await deploy(NexusConsumerExample, [contracts.inbox, functionId])
        contracts.consumerFunction = { codeHash, functionId }
        await save()
        return { consumer: contracts.consumer, functionId }
      },
      stop: () => anvil.stop(),
    }
  } catch (err) {
    await anvil.stop()
    throw err
  }
}
