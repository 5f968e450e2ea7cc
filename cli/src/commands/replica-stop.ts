// How a replica process starts its background work and stops, in either mode (serving a gateway, or
// pulling the log from NATS).

/**
 * Resolves after `stop` once SIGINT/SIGTERM arrives, or the process that started us is gone (its IPC
 * channel closed: `nexus dev` died, even by SIGKILL). A second signal, or a stop that takes too long,
 * exits at once.
 */
export function untilStopped(index: number, stop: () => Promise<void>): Promise<void> {
  return new Promise<void>((done, fail) => {
    let stopping = false
    const onSignal = (why: string) => {
      if (stopping) {
        console.error(`[replica ${index}] ${why} again: exiting without a clean stop`)
        process.exit(130)
      }
      stopping = true
      setTimeout(() => process.exit(1), 15_000).unref()
      stop().then(done, fail)
    }
    process.on('SIGINT', () => onSignal('SIGINT'))
    process.on('SIGTERM', () => onSignal('SIGTERM'))
    if (process.channel) {
      process.channel.unref()
      process.once('disconnect', () => onSignal('parent gone'))
    }
  })
}

/**
 * Build the WebAssembly share signer a little after the replica is up. Shares are signed with noble
 * until then, identically; the build (≈ 0.3 s of CPU) would otherwise compete with the other
 * replicas and the gateway still starting on the same cores (`nexus dev` starts them all at once).
 */
export function upgradeSignerAfterStart(replica: { upgradeSigner(): Promise<void> }, delayMs = 2000): void {
  setTimeout(() => void replica.upgradeSigner(), delayMs).unref()
}
