// Deploy helpers for tests, benchmarks and `nexus dev`: the verifier (holding the group key), the
// inbox in front of it, and function registration.
import {
  createPublicClient,
  createWalletClient,
  getAddress,
  http,
  isHex,
  keccak256,
  parseEventLogs,
  size,
  toBytes,
  type Abi,
  type Account,
  type Address,
  type Chain,
  type Hex,
  type PublicClient,
  type Transport,
  type WalletClient,
} from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { foundry } from 'viem/chains'
import { NexusError } from '@nexus/protocol'
import * as NexusVerifier from '../generated/NexusVerifier.ts'
import * as NexusInbox from '../generated/NexusInbox.ts'
import { g2ToEip2537 } from './encode.ts'

/** anvil's first default account (public test key; never use it anywhere real). */
export const ANVIL_PRIVATE_KEY: Hex = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80'

export type Clients = {
  public: PublicClient<Transport, Chain>
  wallet: WalletClient<Transport, Chain, Account>
}

export class DeployError extends NexusError {
  override name = 'DeployError'
  override code = 'NEXUS_CONTRACTS_DEPLOY'
}

/** Public + wallet clients for a local chain (anvil's first account unless another key is given). */
export function createClients(rpcUrl: string, privateKey: Hex = ANVIL_PRIVATE_KEY, chainId = 31337): Clients {
  const chain = { ...foundry, id: chainId }
  const transport = http(rpcUrl, { retryCount: 0 })
  return {
    public: createPublicClient({ chain, transport, pollingInterval: 50 }) as PublicClient<Transport, Chain>,
    wallet: createWalletClient({ chain, transport, account: privateKeyToAccount(privateKey) }),
  }
}

/** Deploys any generated artifact and waits for the receipt. */
export async function deployArtifact(
  clients: Clients,
  artifact: { abi: Abi; bytecode: Hex },
  args: readonly unknown[] = [],
): Promise<{ address: Address; gasUsed: bigint }> {
  const hash = await clients.wallet.deployContract({ abi: artifact.abi, bytecode: artifact.bytecode, args } as never)
  const receipt = await clients.public.waitForTransactionReceipt({ hash })
  if (receipt.status !== 'success' || !receipt.contractAddress) {
    throw new DeployError('contract deployment reverted', { details: `tx ${hash}` })
  }
  return { address: getAddress(receipt.contractAddress), gasUsed: receipt.gasUsed }
}

export type DeployNexusParameters = {
  /** Group public key: compressed (96 bytes) or EIP-2537 (256 bytes). */
  groupPublicKey: Hex
}

export type DeployNexusReturnType = { verifier: Address; inbox: Address }

/**
 * Deploys NexusVerifier then NexusInbox. On a fresh anvil with the default account the verifier
 * lands at 0x5FbDB2315678afecb367f032d93F642f64180aa3 (the address in the conformance vectors).
 */
export async function deployNexus(clients: Clients, params: DeployNexusParameters): Promise<DeployNexusReturnType> {
  const key = toEip2537Key(params.groupPublicKey)
  const verifier = await deployArtifact(clients, NexusVerifier, [key])
  const inbox = await deployArtifact(clients, NexusInbox, [verifier.address])
  return { verifier: verifier.address, inbox: inbox.address }
}

export function toEip2537Key(key: Hex): Hex {
  if (!isHex(key)) throw new DeployError('group public key is not hex')
  if (size(key) === 256) return key
  if (size(key) === 96) return g2ToEip2537(key)
  throw new DeployError(`group public key must be 96 (compressed) or 256 (EIP-2537) bytes, got ${size(key)}`)
}

/** Inbox function modes (NexusInbox.Mode). */
export const FunctionMode = { Bls: 1, Groth16: 2 } as const

export type RegisterFunctionParameters = {
  inbox: Address
  mode: (typeof FunctionMode)[keyof typeof FunctionMode]
  codeHash: Hex
  /** INexusZkVerifier adapter; required for Groth16, must be absent for BLS. */
  zkVerifier?: Address
  /**
   * BLS only: bind the inbox function to this gateway function id (`registerBoundFunction`), so that
   * only protocol-v2 results of that function fulfil its requests. Absent: any function running the code.
   */
  nexusFunctionId?: string
}

/** Registers a function in the inbox (idempotent) and returns its functionId. */
export async function registerFunction(clients: Clients, p: RegisterFunctionParameters): Promise<Hex> {
  const zk = p.zkVerifier ?? '0x0000000000000000000000000000000000000000'
  if (p.nexusFunctionId !== undefined && p.mode !== FunctionMode.Bls) throw new DeployError('only a BLS function can be bound to a gateway function id')
  const base = { account: clients.wallet.account, address: p.inbox, abi: NexusInbox.abi } as const
  let hash: Hex
  let result: Hex
  if (p.nexusFunctionId === undefined) {
    const simulated = await clients.public.simulateContract({ ...base, functionName: 'registerFunction', args: [p.mode, p.codeHash, zk] })
    ;({ result } = simulated)
    hash = await clients.wallet.writeContract(simulated.request)
  } else {
    const simulated = await clients.public.simulateContract({
      ...base,
      functionName: 'registerBoundFunction',
      args: [p.codeHash, keccak256(toBytes(p.nexusFunctionId))],
    })
    ;({ result } = simulated)
    hash = await clients.wallet.writeContract(simulated.request)
  }
  const receipt = await clients.public.waitForTransactionReceipt({ hash })
  if (receipt.status !== 'success') throw new DeployError('registerFunction reverted', { details: `tx ${hash}` })
  return result
}

/** Reads the `Requested` events of an inbox transaction (what the gateway trigger service consumes). */
export function parseRequested(logs: Parameters<typeof parseEventLogs>[0]['logs']) {
  return parseEventLogs({ abi: NexusInbox.abi, eventName: 'Requested', logs })
}
