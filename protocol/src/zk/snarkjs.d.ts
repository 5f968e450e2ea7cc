// Minimal typings for the parts of snarkjs 0.7 that Nexus uses (the package ships none).
declare module 'snarkjs' {
  export type SnarkjsLogger = {
    debug(message: string): void
    info(message: string): void
    warn(message: string): void
    error(message: string): void
  }
  export type Groth16Proof = {
    pi_a: string[]
    pi_b: string[][]
    pi_c: string[]
    protocol: string
    curve: string
  }
  export type Groth16VerificationKey = {
    protocol: string
    curve: string
    nPublic: number
    vk_alpha_1: string[]
    vk_beta_2: string[][]
    vk_gamma_2: string[][]
    vk_delta_2: string[][]
    vk_alphabeta_12?: unknown
    IC: string[][]
  }
  export type R1csInfo = {
    nConstraints: number
    nPubInputs: number
    nPrvInputs: number
    nOutputs: number
    nVars: number
    nLabels: number
  }
  export type BnCurve = { terminate(): Promise<void> }
  export const groth16: {
    fullProve(
      input: Record<string, unknown>,
      wasmFile: string | Uint8Array,
      zkeyFile: string | Uint8Array,
      logger?: SnarkjsLogger,
    ): Promise<{ proof: Groth16Proof; publicSignals: string[] }>
    verify(vk: Groth16VerificationKey, publicSignals: readonly string[], proof: Groth16Proof, logger?: SnarkjsLogger): Promise<boolean>
    prove(
      zkeyFile: string | Uint8Array,
      witness: string | { type: 'mem'; data?: Uint8Array },
      logger?: SnarkjsLogger,
    ): Promise<{ proof: Groth16Proof; publicSignals: string[] }>
    exportSolidityCallData(proof: Groth16Proof, publicSignals: readonly string[]): Promise<string>
  }
  export const zKey: {
    newZKey(r1csFile: string, ptauFile: string, zkeyFile: string, logger?: SnarkjsLogger): Promise<unknown>
    contribute(oldZkey: string, newZkey: string, name: string, entropy: string, logger?: SnarkjsLogger): Promise<unknown>
    exportVerificationKey(zkeyFile: string, logger?: SnarkjsLogger): Promise<Groth16VerificationKey>
    exportSolidityVerifier(zkeyFile: string, templates: Record<string, string>, logger?: SnarkjsLogger): Promise<string>
  }
  export const powersOfTau: {
    newAccumulator(curve: BnCurve, power: number, file: string, logger?: SnarkjsLogger): Promise<unknown>
    contribute(oldPtau: string, newPtau: string, name: string, entropy: string, logger?: SnarkjsLogger): Promise<unknown>
    preparePhase2(oldPtau: string, newPtau: string, logger?: SnarkjsLogger): Promise<unknown>
  }
  export const wtns: {
    calculate(input: Record<string, unknown>, wasmFile: string | Uint8Array, out: string | { type: 'mem'; data?: Uint8Array }): Promise<void>
  }
  export const r1cs: {
    info(r1csFile: string, logger?: SnarkjsLogger): Promise<R1csInfo>
  }
  export const curves: {
    getCurveFromName(name: string, options?: { singleThread?: boolean }): Promise<BnCurve>
  }
}
