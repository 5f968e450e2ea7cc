// Everything the gateway runs against chains, wired together: the trigger service (one loop per
// chain) and the inbox relays, whose `Requested` subscriptions ride on the trigger service.
import type { ChainSpec } from '@nexus/protocol'
import type { Db } from '../database/index.ts'
import { createInboxRelay, type InboxRelay, type InboxRelayConfig } from '../inbox/relay.ts'
import type { Log } from '../log/index.ts'
import type { Scheduler } from '../scheduler/index.ts'
import { ChainConfigError } from './errors.ts'
import { createTriggerService, type TriggerService } from './service.ts'

export type ChainServices = { triggers?: TriggerService; inboxes: InboxRelay[]; start(): void; stop(): Promise<void> }

export function createChainServices(p: {
  db: Db
  log: Log
  scheduler: Scheduler
  chains?: ChainSpec[]
  inboxes?: InboxRelayConfig[]
  logger?: (message: string) => void
}): ChainServices {
  const chainByName = new Map((p.chains ?? []).map((c) => [c.name, c]))
  const inboxes = (p.inboxes ?? []).map((config) => {
    const chain = chainByName.get(config.chain)
    if (!chain) throw new ChainConfigError(`inbox ${config.address}: chain "${config.chain}" is not one of the configured chains`)
    return createInboxRelay({ config, chain, db: p.db, log: p.log, scheduler: p.scheduler, logger: p.logger })
  })
  const triggers = p.chains?.length
    ? createTriggerService({
        db: p.db,
        log: p.log,
        scheduler: p.scheduler,
        chains: p.chains,
        logger: p.logger,
        extraSinks: (chainId) => inboxes.filter((r) => r.status().chainId === chainId).map((r) => r.sink),
      })
    : undefined
  return {
    triggers,
    inboxes,
    start() {
      triggers?.start()
      for (const relay of inboxes) relay.start()
    },
    async stop() {
      await Promise.all([triggers?.stop(), ...inboxes.map((r) => r.stop())])
    },
  }
}
