// `@nexus/framework/attest`: result verification for authors and consumers, re-exported from the
// protocol package so that one copy of every protocol fact exists.
export * from '@nexus/protocol/attest'
