// A cluster user's credentials file, as `nexus cluster up` writes it (`{ name, seed }`, the nkey
// seed). The seed is the login: no message here ever quotes the file, not even a malformed one.
import { readFile } from 'node:fs/promises'
import type { NatsCredentials } from '@nexus/gateway/jetstream'

/** Whose file it must be: replica `index`'s (`replica-<index>`), or any gateway's (`gateway-<k>`). */
export type CredentialsOwner = { role: 'replica'; index: number } | { role: 'gateway' }

const expected = (owner: CredentialsOwner): string => (owner.role === 'replica' ? `replica-${owner.index}` : 'gateway-<k>')

const belongsTo = (name: string, owner: CredentialsOwner): boolean =>
  owner.role === 'replica' ? name === `replica-${owner.index}` : /^gateway-[1-9][0-9]*$/.test(name)

/** Reads and checks the file; `fail` throws the caller's error with what is wrong and how to fix it. */
export async function readCredentials(path: string, owner: CredentialsOwner, fail: (message: string) => never): Promise<NatsCredentials> {
  const user = expected(owner)
  const text = await readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) =>
    fail(`cannot read the credentials file ${path} (${err.code ?? err.message}); nexus cluster up writes it as credentials/${user}.json`),
  )
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    fail(`the credentials file ${path} is not JSON ({ "name": "${user}", "seed": "SU…" })`)
  }
  const { name, seed } = (parsed ?? {}) as { name?: unknown; seed?: unknown }
  if (typeof name !== 'string' || typeof seed !== 'string' || !/^SU[A-Z2-7]+$/.test(seed))
    fail(`the credentials file ${path} must hold { "name": "${user}", "seed": "SU…" } (a user nkey seed)`)
  if (!belongsTo(name as string, owner))
    fail(`the credentials file ${path} is ${String(name)}'s, not ${owner.role === 'replica' ? `${user}'s (--index ${owner.index})` : "a gateway's"}`)
  return { name: name as string, seed: seed as string }
}
