// NexusInbox relay: Requested events → invocations → fulfil.
export { createInboxRelay, type InboxRelay, type InboxRelayConfig } from './relay.ts'
