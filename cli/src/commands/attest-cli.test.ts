// `nexus keygen` and `nexus verify`, called as a library and once as a real process.
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { keccak256, toBytes, type Hex } from 'viem'
import { afterAll, describe, expect, test, vi } from 'vitest'
import { run as keygen } from './keygen.ts'
import { run as verify } from './verify.ts'
import {
  combineShares,
  createAttestedResult,
  parseNetwork,
  parseResultFields,
  resultDigest,
  signShare,
  type ResultFields,
  type ShareKey,
} from '@nexus/protocol/attest'

const dirs: string[] = []
async function tempDir() {
  const dir = await mkdtemp(join(tmpdir(), 'nexus-attest-cli-'))
  dirs.push(dir)
  return dir
}
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true })
})

async function capture(fn: () => Promise<number>) {
  const out: string[] = []
  const log = vi.spyOn(console, 'log').mockImplementation((...a) => void out.push(a.join(' ')))
  const err = vi.spyOn(console, 'error').mockImplementation((...a) => void out.push(a.join(' ')))
  try {
    return { code: await fn(), out: out.join('\n') }
  } finally {
    log.mockRestore()
    err.mockRestore()
  }
}

async function signedResult(dir: string, signerIndices: number[], functionId?: string) {
  const keys = await Promise.all(signerIndices.map(async (i) => JSON.parse(await readFile(join(dir, `replica-${i}.key.json`), 'utf8')) as ShareKey))
  const network = parseNetwork(JSON.parse(await readFile(join(dir, 'network.json'), 'utf8')))
  const output: Hex = '0x2a'
  const fields: ResultFields = {
    chainId: 31337n,
    verifier: '0x5FbDB2315678afecb367f032d93F642f64180aa3',
    ...(functionId === undefined ? {} : { functionId }),
    codeHash: keccak256(toBytes('c')),
    seq: 1n,
    inputHash: keccak256(toBytes('i')),
    status: 0,
    outputHash: keccak256(output),
    stateRootBefore: keccak256(toBytes('a')),
    stateRootAfter: keccak256(toBytes('b')),
    fuelUsed: 5n,
  }
  const digest = resultDigest(fields)
  const { signature, signers } = combineShares(
    digest,
    keys.map((k) => signShare(digest, k)),
    network,
  )
  return { result: createAttestedResult({ fields, output, signature, signers, groupPublicKey: network.groupPublicKey }), digest }
}

describe.each([
  ['dealer', []],
  ['dkg', ['--dkg']],
] as const)('nexus keygen (%s) + nexus verify', (_, extra) => {
  test('writes 0600 key files and a network file; a result signed with them verifies; a tampered one does not', async () => {
    const dir = await tempDir()
    const gen = await capture(() => keygen(['--t', '3', '--n', '4', '--out', dir, ...extra]))
    expect(gen.code).toBe(0)
    expect((await readdir(dir)).sort()).toEqual(['network.json', 'replica-1.key.json', 'replica-2.key.json', 'replica-3.key.json', 'replica-4.key.json'])
    for (let i = 1; i <= 4; i++) expect((await stat(join(dir, `replica-${i}.key.json`))).mode & 0o777).toBe(0o600)
    const network = parseNetwork(JSON.parse(await readFile(join(dir, 'network.json'), 'utf8')))
    expect([network.t, network.n, network.commitments?.length]).toEqual([3, 4, 3])

    const { result, digest } = await signedResult(dir, [2, 3, 4])
    await writeFile(join(dir, 'result.json'), JSON.stringify(result))
    expect(await capture(() => verify([join(dir, 'result.json'), '--network', join(dir, 'network.json')]))).toEqual({ code: 0, out: `ok ${digest}` })

    await writeFile(join(dir, 'bad.json'), JSON.stringify({ ...result, fields: { ...result.fields, fuelUsed: '6' } }))
    expect(await capture(() => verify([join(dir, 'bad.json'), '--network', join(dir, 'network.json')]))).toEqual({
      code: 1,
      out: 'invalid: digest does not match the result fields (a digest field was changed) [NEXUS_ATTEST_DIGEST_MISMATCH]',
    })

    // refuses to overwrite existing keys
    expect((await capture(() => keygen(['--t', '3', '--n', '4', '--out', dir]))).code).toBe(1)
  })
})

test('nexus verify: clear reasons for wrong key, too few signers, unreadable files, and usage', async () => {
  const dir = await tempDir()
  const other = await tempDir()
  await capture(() => keygen(['--t', '2', '--n', '3', '--out', dir, '--seed', 'cli']))
  await capture(() => keygen(['--t', '2', '--n', '3', '--out', other, '--seed', 'cli-other']))
  const { result } = await signedResult(dir, [1, 3])
  await writeFile(join(dir, 'result.json'), JSON.stringify(result))
  await writeFile(join(dir, 'few.json'), JSON.stringify({ ...result, signers: [1] }))
  const v = (file: string, net = join(dir, 'network.json')) => capture(() => verify([file, '--network', net]))
  expect(await v(join(dir, 'result.json'), join(other, 'network.json'))).toEqual({
    code: 1,
    out: 'invalid: result is signed for another group public key [NEXUS_ATTEST_WRONG_KEY]',
  })
  expect(await v(join(dir, 'few.json'))).toEqual({ code: 1, out: 'invalid: too few signers: 1 valid, threshold is 2 [NEXUS_ATTEST_TOO_FEW_SIGNERS]' })
  expect((await v(join(dir, 'missing.json'))).out).toMatch(/^invalid: cannot read result file .*missing\.json \(ENOENT/)
  expect((await capture(() => verify([join(dir, 'result.json')]))).code).toBe(2)
  expect((await capture(() => keygen(['--t', '5', '--n', '3', '--out', join(dir, 'x')]))).out).toMatch(/t must be an integer in 1\.\.n/)
})

test('as a real process: exit codes 0 and 1', async () => {
  const dir = await tempDir()
  const main = fileURLToPath(new URL('../main.ts', import.meta.url))
  const exec = promisify(execFile)
  const nexus = (...args: string[]) =>
    exec(process.execPath, ['--import', 'tsx', main, ...args], { cwd: fileURLToPath(new URL('../../..', import.meta.url)) }).then(
      (r) => ({ code: 0, out: r.stdout.trim() }),
      (e: { code: number; stdout: string }) => ({ code: e.code, out: e.stdout.trim() }),
    )
  expect((await nexus('keygen', '--t', '2', '--n', '2', '--out', dir)).code).toBe(0)
  const { result, digest } = await signedResult(dir, [1, 2])
  await writeFile(join(dir, 'r.json'), JSON.stringify(result))
  await writeFile(join(dir, 'bad.json'), JSON.stringify({ ...result, signature: `0xc0${'00'.repeat(47)}` }))
  expect(await nexus('verify', join(dir, 'r.json'), '--network', join(dir, 'network.json'))).toEqual({ code: 0, out: `ok ${digest}` })
  expect(await nexus('verify', join(dir, 'bad.json'), '--network', join(dir, 'network.json'))).toEqual({
    code: 1,
    out: 'invalid: malformed point (signature): point at infinity [NEXUS_ATTEST_MALFORMED_POINT]',
  })
})

test('nexus verify: v2 and v1 results both verify; a result of one function presented as another (same code) is rejected', async () => {
  const dir = await tempDir()
  await capture(() => keygen(['--t', '2', '--n', '3', '--out', dir, '--seed', 'cli-v2']))
  const net = join(dir, 'network.json')
  const v = (file: string, ...extra: string[]) => capture(() => verify([file, '--network', net, ...extra]))
  const write = async (name: string, value: unknown) => (await writeFile(join(dir, name), JSON.stringify(value)), join(dir, name))

  const v2 = await signedResult(dir, [1, 3], 'victim')
  expect(v2.result.protocol).toBe('nexus.result.v2')
  expect(v2.result.fields).toMatchObject({ protocol: 'nexus.result.v2', functionId: 'victim', functionIdHash: keccak256(toBytes('victim')) })
  const v1 = await signedResult(dir, [1, 3])
  expect(v1.result.protocol).toBe('nexus.result.v1')
  expect(v1.digest).not.toBe(v2.digest)
  expect(await v(await write('v2.json', v2.result))).toEqual({ code: 0, out: `ok ${v2.digest}` })
  expect(await v(await write('v1.json', v1.result))).toEqual({ code: 0, out: `ok ${v1.digest}` })

  // Same code, same seq, same roots: only the function id differs. Digest recomputed, so only the signature can tell.
  const { functionIdHash: _, ...fieldsWithoutHash } = v2.result.fields
  const asOther = { ...v2.result, fields: { ...fieldsWithoutHash, functionId: 'attacker' } }
  const asOtherFields = parseResultFields(asOther.fields)
  expect((await v(await write('as-other.json', { ...asOther, digest: resultDigest(asOtherFields) }))).out).toMatch(
    /^invalid: signature does not verify .* \[NEXUS_ATTEST_BAD_SIGNATURE\]$/,
  )
  expect((await v(await write('as-other-digest.json', asOther))).out).toMatch(/\[NEXUS_ATTEST_DIGEST_MISMATCH\]$/)
  // The v2 result with its function id dropped and relabelled v1.
  const { protocol: __, functionId: ___, functionIdHash: ____, ...v1Fields } = v2.result.fields
  const dropped = { ...v2.result, protocol: 'nexus.result.v1', fields: v1Fields }
  expect((await v(await write('dropped.json', { ...dropped, digest: resultDigest(parseResultFields(v1Fields)) }))).out).toMatch(
    /\[NEXUS_ATTEST_BAD_SIGNATURE\]$/,
  )
  expect(
    (await v(await write('mislabelled.json', { ...v2.result, protocol: 'nexus.result.v1', fields: { ...v2.result.fields, protocol: 'nexus.result.v1' } }))).out,
  ).toBe('invalid: malformed fields.functionId: a nexus.result.v1 result has no function id [NEXUS_ATTEST_MALFORMED_RESULT]')
  expect((await v(await write('mislabelled-top.json', { ...v2.result, protocol: 'nexus.result.v1' }))).out).toBe(
    'invalid: malformed protocol: "nexus.result.v1" does not match the fields (a function id) [NEXUS_ATTEST_MALFORMED_RESULT]',
  )

  // --function: the caller says which function it asked for.
  expect(await v(join(dir, 'v2.json'), '--function', 'victim')).toEqual({ code: 0, out: `ok ${v2.digest}` })
  expect(await v(join(dir, 'v2.json'), '--function', 'other')).toEqual({
    code: 1,
    out: 'invalid: wrong functionId: caller expects "other", result has "victim" [NEXUS_ATTEST_FIELD_MISMATCH]',
  })
  expect(await v(join(dir, 'v1.json'), '--function', 'victim')).toEqual({
    code: 1,
    out: 'invalid: wrong functionId: caller expects "victim", result has none (a v1 result) [NEXUS_ATTEST_FIELD_MISMATCH]',
  })
})
