import { createHash } from 'node:crypto'
import { StateOverlay, type Reader } from './overlay.ts'
import { GuestFault } from './faults.ts'
import type { Limits } from './limits.ts'
import { LogLines } from './log-lines.ts'
import { hostCallCost, keccakCost, RANDOM_FUEL_PER_BYTE, STORAGE_READ_BYTES_PER_FUEL, WRITE_FUEL_PER_BYTE, WRITE_KEY_FUEL } from './fuel-schedule.ts'

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

// A log line is part of the replica's answer (protocol/src/replica-wire.ts): one shape for both.
export type { LogLine } from '@nexus/protocol'

export class InvocationContext {
  readonly overlay: StateOverlay
  /** What the handler logged, bounded (log-lines.ts). */
  readonly logs = new LogLines()
  private randomCounter = 0n
  private randomBuffer = Buffer.alloc(0)
  private keysWritten = 0
  private bytesWritten = 0

  constructor(
    readonly info: InvocationInfo,
    readonly limits: Limits,
    /** The sync channel to the main thread (storage and chain reads). */
    readonly read: Reader,
    private readonly fuel: WebAssembly.Global,
  ) {
    this.overlay = new StateOverlay(read, {
      read: (bytes) => this.chargeUnits(Math.ceil(bytes / STORAGE_READ_BYTES_PER_FUEL)),
      write: (firstWrite, bytes) => this.chargeWrite(firstWrite, bytes),
    })
  }

  /** Charges a host call that moves `bytes` against the same counter the guest's metered code decrements. */
  charge(bytes: number): void {
    this.chargeUnits(hostCallCost(bytes))
  }

  /** Takes `units` of fuel; below zero the invocation ends as out of fuel (status 2). */
  chargeUnits(units: number): void {
    const left = (this.fuel.value as bigint) - BigInt(units)
    this.fuel.value = left
    if (left < 0n) throw new GuestFault('out of fuel', 2)
  }

  /**
   * A write the commit will have to store: checked against the per-invocation caps (a handler
   * error naming the limit), then priced per new key and per byte (fuel-schedule.ts).
   */
  private chargeWrite(firstWrite: boolean, bytes: number): void {
    if (firstWrite && ++this.keysWritten > this.limits.maxWriteKeys) {
      throw new GuestFault(`write limit exceeded: more than ${this.limits.maxWriteKeys} keys and paths written in one invocation (maxWriteKeys)`)
    }
    this.bytesWritten += bytes
    if (this.bytesWritten > this.limits.maxWriteBytes) {
      throw new GuestFault(`write limit exceeded: more than ${this.limits.maxWriteBytes} bytes written in one invocation (maxWriteBytes)`)
    }
    this.chargeUnits((firstWrite ? WRITE_KEY_FUEL : 0) + bytes * WRITE_FUEL_PER_BYTE)
  }

  /** Prices `env.randomBytes` output (generating it costs more per byte than copying it). */
  chargeRandom(length: number): void {
    this.chargeUnits(hostCallCost(length) + length * RANDOM_FUEL_PER_BYTE)
  }

  /** Prices `crypto.keccak256` over `length` input bytes (per 136-byte block, fuel-schedule.ts). */
  chargeKeccak(length: number): void {
    this.chargeUnits(keccakCost(length))
  }

  /** SHA-256 in counter mode over the seed: the same byte stream on every replica. */
  randomBytes(length: number): Uint8Array {
    if (this.randomBuffer.length < length) {
      // All missing blocks at once: appending one 32-byte block at a time was quadratic (≈ 32 ms per 64 KiB).
      const seed = Buffer.from(this.info.randomSeed.replace(/^0x/, ''), 'hex')
      const blocks: Buffer[] = [this.randomBuffer]
      const counter = Buffer.alloc(8)
      for (let have = this.randomBuffer.length; have < length; have += 32) {
        counter.writeBigUInt64BE(this.randomCounter++)
        blocks.push(createHash('sha256').update(seed).update(counter).digest())
      }
      this.randomBuffer = Buffer.concat(blocks)
    }
    const out = this.randomBuffer.subarray(0, length)
    this.randomBuffer = this.randomBuffer.subarray(length)
    return new Uint8Array(out)
  }
}
