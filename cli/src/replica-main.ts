// The replica process's entry when `nexus dev` runs from the repository's TypeScript source: it is
// bundled into one plain ES module (dev/replica-bundle.ts), so replicas start without tsx. The
// compiled packages (dist/) run `nexus replica` through main.js instead.
import { NexusError } from '@nexus/protocol'
import { run } from './commands/replica.ts'

// As main.ts: everything the replica writes is private to its user.
process.umask(0o077)

run(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
  },
  (err: unknown) => {
    console.error(err instanceof NexusError ? err.message : err)
    process.exitCode = 1
  },
)
