// What the scheduler's parts share: the options with their defaults, the lanes, and who is
// diverged. One object passed explicitly, so each part is a plain factory over it.
import type { ReplicaClient } from '../replicas/index.ts'
import type { DivergenceTracker } from './divergence.ts'
import type { Lane } from './lane.ts'
import type { SchedulerOptions } from './parameters.ts'

export type SchedulerContext = SchedulerOptions & {
  replicas: ReplicaClient[]
  /** Replicas in the network. */
  n: number
  replicaIndexes: number[]
  lanes: Map<string, Lane>
  divergence: DivergenceTracker
  /** False once stop() was called: loops and waits end. */
  isRunning: () => boolean
  /** Record whether a replica answered its last request or health probe (nexus_replica_up). */
  setReplicaUp: (index: number, up: boolean) => void
}
