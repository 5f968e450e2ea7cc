// A handler file with zk functions, as an author writes it (test fixture for gateway/test/zk*.test.ts).
// The gateway builds these declarations into a component and runs each `inputs` mapping in the
// deterministic runtime before proving.
import { zk } from '@nexus/framework/zk'

// Marks the realm that loaded this file: the gateway must never load author code into its own process.
;(globalThis as { nexusZkFixtureLoaded?: boolean }).nexusZkFixtureLoaded = true

// The same declarations the circuits tests prove, served here through the gateway.
export { member, preimage } from '@nexus/testkit/zk-functions'

/** Salt = the clock: in the runtime the clock is the invocation's (0 here), never the host's. */
export const stamped = zk({
  circuit: 'poseidon-preimage',
  signals: { preimage: 'field', salt: 'field' },
  publicSignals: ['hash'] as const,
  inputs: (req: { preimage: string }) => ({ preimage: req.preimage, salt: Date.now() }),
})

/** A mapping that throws. */
export const throws = zk({
  circuit: 'poseidon-preimage',
  signals: { preimage: 'field', salt: 'field' },
  publicSignals: ['hash'] as const,
  inputs: (): { preimage: string; salt: string } => {
    throw new Error('boom: no preimage today')
  },
})

/** A mapping that never returns: fuel ends it, deterministically. */
export const spins = zk({
  circuit: 'poseidon-preimage',
  signals: { preimage: 'field', salt: 'field' },
  publicSignals: ['hash'] as const,
  inputs: (req: { n: number }) => {
    let x = req.n
    for (;;) x = (x * 31 + 7) % 1_000_003
  },
})

/** A mapping that allocates without end: the sandbox's memory cap ends it, deterministically. */
export const allocates = zk({
  circuit: 'poseidon-preimage',
  signals: { preimage: 'field', salt: 'field' },
  publicSignals: ['hash'] as const,
  inputs: (req: { mib: number }) => {
    const kept: Uint8Array[] = []
    for (let i = 0; i < 1024; i++) kept.push(new Uint8Array(req.mib << 20))
    return { preimage: String(kept.length), salt: '0' }
  },
})

/** An `output` that throws: the proof is fine, the declaration is broken (a 500, not the requester's fault). */
export const brokenOutput = zk({
  circuit: 'poseidon-preimage',
  signals: { preimage: 'field', salt: 'field' },
  publicSignals: ['hash'] as const,
  inputs: (req: { preimage: string }) => ({ preimage: req.preimage, salt: '0' }),
  output: (): { hash: string } => {
    throw new Error('cannot decode')
  },
})
