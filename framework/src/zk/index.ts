// `@nexus/framework/zk`: zk function declarations and Groth16 result checks, re-exported from the
// protocol package (the attestation verifier reaches the same code for zk results).
export * from '@nexus/protocol/zk'
