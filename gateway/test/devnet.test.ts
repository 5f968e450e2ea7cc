// The `nexus dev` devnet: anvil with the example contracts; state and addresses survive a restart,
// and a chain that lost its contracts gets them redeployed; the dev network is bound to the verifier.
import { afterEach, expect, test } from 'vitest'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { keccak256, toHex, zeroAddress, type Address, type Hex } from 'viem'
import { combineShares, createAttestedResult, dealerKeygen, resultDigest, signShare, type ResultFields, type ShareKey } from '@nexus/protocol/attest'
import * as ExampleToken from '@nexus/contracts/generated/ExampleToken'
import * as NexusVerifier from '@nexus/contracts/generated/NexusVerifier'
import { toFulfilArgs } from '@nexus/contracts'
import { revertName } from '@nexus/testkit/contracts'
import { startDevnet, type Devnet } from '@nexus/cli/dev'
import { bindNetwork, ensureKeys } from '@nexus/cli/dev'

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
  const hash = await devnet.clients.wallet.writeContract({
    address: first.token,
    abi: ExampleToken.abi,
    functionName: 'mint',
    args: [devnet.clients.wallet.account.address, 7n],
  } as never)
  await devnet.clients.public.waitForTransactionReceipt({ hash })
  const consumer = await devnet.deployConsumer(`0x${'11'.repeat(32)}`)
  await devnet.stop()

  devnet = await startDevnet({ dir, groupPublicKey, port: 0 })
  expect(devnet.contracts).toMatchObject(first)
  expect(await devnet.deployConsumer(`0x${'11'.repeat(32)}`)).toEqual(consumer)
  const balance = await devnet.clients.public.readContract({
    address: first.token,
    abi: ExampleToken.abi,
    functionName: 'balanceOf',
    args: [devnet.clients.wallet.account.address],
  } as never)
  expect(balance).toBe(7n)
  await devnet.stop()

  await rm(join(dir, 'devnet', 'state.json'))
  devnet = await startDevnet({ dir, groupPublicKey, port: 0 })
  expect(devnet.contracts).toMatchObject(first) // same deployer, same nonces: same addresses
  expect(await devnet.clients.public.getCode({ address: first.inbox })).not.toBe('0x')
}, 120_000)

test('the dev network is bound to the deployed NexusVerifier: what it signs verifies on-chain, and the binding follows a redeploy', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'nexus-devnet-bind-'))
  const keys = join(dir, 'keys')
  // Keys are made before the chain exists, so they start unbound (verifier = 0x0…0).
  const { network: unbound } = await ensureKeys(keys, { t: 3, n: 4 })
  expect(unbound.verifier).toBe(zeroAddress)
  devnet = await startDevnet({ dir, groupPublicKey: unbound.groupPublicKey as Hex, port: 0 })
  const { network, changed } = await bindNetwork(keys, { chainId: String(devnet.chainId), verifier: devnet.contracts.verifier })
  expect(changed).toBe(true)
  expect(network.verifier).toBe(devnet.contracts.verifier)
  expect(network.groupPublicKey).toBe(unbound.groupPublicKey) // the keys themselves are kept
  expect((await ensureKeys(keys, { t: 3, n: 4 })).network.verifier).toBe(devnet.contracts.verifier) // written to network.json
  expect((await bindNetwork(keys, { chainId: String(devnet.chainId), verifier: devnet.contracts.verifier })).changed).toBe(false)

  // 3 of the 4 share keys sign a (protocol v2) result bound as the replicas now are (--chain-id/--verifier from network.json).
  const shares = await Promise.all([1, 2, 3].map(async (i) => JSON.parse(await readFile(join(keys, `replica-${i}.key.json`), 'utf8')) as ShareKey))
  const signed = (verifier: Address) => {
    const output = toHex('{"greeting":"hello, chain"}')
    const fields: ResultFields = {
      chainId: BigInt(network.chainId!),
      verifier,
      functionId: 'hello',
      codeHash: keccak256(toHex('code')),
      seq: 1n,
      inputHash: keccak256(toHex('{}')),
      status: 0,
      outputHash: keccak256(output),
      stateRootBefore: keccak256(toHex('before')),
      stateRootAfter: keccak256(toHex('after')),
      fuelUsed: 1n,
    }
    const digest = resultDigest(fields)
    const { signature, signers } = combineShares(
      digest,
      shares.map((s) => signShare(digest, s)),
      network,
    )
    return toFulfilArgs(createAttestedResult({ fields, output, signature, signers, groupPublicKey: network.groupPublicKey }))
  }
  const verifyBound = (args: ReturnType<typeof signed>) =>
    devnet!.clients.public.readContract({
      address: devnet!.contracts.verifier,
      abi: NexusVerifier.abi,
      functionName: 'verifyBound',
      args: [args.result, args.signature],
    })
  expect(await verifyBound(signed(network.verifier!))).toMatch(/^0x[0-9a-f]{64}$/)
  expect(await revertName(verifyBound(signed(zeroAddress)))).toBe('WrongVerifier') // what an unbound network would sign
  await devnet.stop()

  // The recorded verifier has no code any more (a chain reset under kept addresses): everything is
  // redeployed from the deployer's next nonce, at new addresses, and the binding moves with it.
  const saved = JSON.parse(await readFile(join(dir, 'devnet', 'contracts.json'), 'utf8'))
  await writeFile(join(dir, 'devnet', 'contracts.json'), JSON.stringify({ ...saved, verifier: `0x${'00'.repeat(19)}01` }))
  devnet = await startDevnet({ dir, groupPublicKey: unbound.groupPublicKey as Hex, port: 0 })
  expect(devnet.contracts.verifier).not.toBe(network.verifier)
  const moved = await bindNetwork(keys, { chainId: String(devnet.chainId), verifier: devnet.contracts.verifier })
  expect(moved.changed).toBe(true)
  expect(moved.network.verifier).toBe(devnet.contracts.verifier)
}, 120_000)
