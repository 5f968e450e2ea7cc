import { createHash } from 'node:crypto'
import { StateOverlay, type Reader } from './overlay.ts'
import { GuestFault } from './faults.ts'
import { hostCallCost, type Limits } from './limits.ts'

/** What the host knows about one invocation; everything a handler can observe derives from it. */
export type InvocationInfo = {
  functionId: string
  seq: bigint
  trigger: string
  chainId: bigint
  blockNumber: bigint
  /** Milliseconds since the epoch assigned by the log or taken from the trigger block. */
  timestampMs: bigint
  /** 32-byte hex seed; the replica derives it from the invocation digest. */
  randomSeed: string
}

export type LogLine = { level: string; message: string }

export class InvocationContext {
  readonly overlay: StateOverlay
  readonly logs: LogLine[] = []
  private randomCounter = 0n
  private randomBuffer = Buffer.alloc(0)

  constructor(
    readonly info: InvocationInfo,
    readonly limits: Limits,
    /** The sync channel to the main thread (storage and chain reads). */
    readonly read: Reader,
    private readonly fuel: WebAssembly.Global,
  ) {
    this.overlay = new StateOverlay(read)
  }

  /** Charges a host call against the same counter the guest's metered code decrements. */
  charge(bytes: number): void {
    const left = (this.fuel.value as bigint) - BigInt(hostCallCost(bytes))
    this.fuel.value = left
    if (left < 0n) throw new GuestFault('out of fuel', 2)
  }

  /** SHA-256 in counter mode over the seed: the same byte stream on every replica. */
  randomBytes(length: number): Uint8Array {
    while (this.randomBuffer.length < length) {
      const block = createHash('sha256').update(Buffer.from(this.info.randomSeed.replace(/^0x/, ''), 'hex'))
      const counter = Buffer.alloc(8)
      counter.writeBigUInt64BE(this.randomCounter++)
      this.randomBuffer = Buffer.concat([this.randomBuffer, block.update(counter).digest()])
    }
    const out = this.randomBuffer.subarray(0, length)
    this.randomBuffer = this.randomBuffer.subarray(length)
    return new Uint8Array(out)
  }
}
