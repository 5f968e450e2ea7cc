// zk function declarations used by the tests (what an author writes in a handler file).
import { zk } from '@nexus/framework/zk'

export const preimage = zk({
  circuit: 'poseidon-preimage',
  signals: { preimage: 'field', salt: 'field' },
  publicSignals: ['hash'] as const,
  inputs: (req: { preimage: string; salt?: string }) => ({ preimage: req.preimage, salt: req.salt ?? '0' }),
})

type MemberRequest = { secret: string; path: string[]; index: number; root: string; scope: string }

export const member = zk({
  circuit: 'merkle3',
  signals: {
    secret: 'field',
    pathElements: { type: 'field', length: 3 },
    pathIndices: { type: 'bit', length: 3 },
    root: 'field',
    scope: 'field',
  },
  publicSignals: ['nullifier', 'root', 'scope'] as const,
  inputs: (req: MemberRequest) => ({
    secret: req.secret,
    pathElements: req.path,
    pathIndices: [0, 1, 2].map((b) => (req.index >> b) & 1),
    root: req.root,
    scope: req.scope,
  }),
  output: (s) => ({ nullifier: `0x${s.nullifier.toString(16).padStart(64, '0')}`, root: s.root.toString(), scope: s.scope.toString() }),
})
