// Deployer and admin keys come from files and the environment, each from its own variable, so an
// admin key is never granted by setting the deployer variable (or the other way round).
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, test } from 'vitest'
import { readAdminKeys, readApiKeys } from '../src/secrets.ts'

test('keys from files (comments and blanks skipped) and from each kind of key its own variable', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'nexus-secrets-'))
  const file = join(dir, 'keys.txt')
  await writeFile(file, '# deployers\nkey-a\n\n  key-b  \n', { mode: 0o600 })
  const env = { NEXUS_API_KEYS: 'env-a, env-b', NEXUS_ADMIN_KEYS: 'root-1' }
  expect(await readApiKeys([file], env)).toEqual(['key-a', 'key-b', 'env-a', 'env-b'])
  expect(await readAdminKeys([], env)).toEqual(['root-1'])
  expect(await readAdminKeys([], { NEXUS_API_KEYS: 'env-a' })).toEqual([])
  expect(await readApiKeys([], { NEXUS_ADMIN_KEYS: 'root-1' })).toEqual([])
})
