import { describe } from 'vitest'
import { availableBackends } from '@nexus/testkit/backends'
import { defineReplicaSuite } from './replica.case.ts'
import { defineHotStoreSuite } from './hot-store.case.ts'

for (const { name, make } of availableBackends()) {
  describe(`replica on ${name}`, () => defineReplicaSuite(make))
  describe(`write-behind store on ${name}`, () => defineHotStoreSuite(make))
}
