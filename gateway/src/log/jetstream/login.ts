// Connecting as a cluster user: the nkey seed answers the server's challenge (the seed itself is
// never sent), and request replies arrive under the user's own inbox prefix, the only inbox its
// subscribe permission covers (roles.ts).
import { type NodeConnectionOptions, nkeyAuthenticator } from '@nats-io/transport-node'
import type { NatsCredentials } from './auth-config.ts'
import { inboxPrefixOf } from './roles.ts'

/** Connection options that log in as `credentials`. @example connect({ servers, ...natsLogin(credentials) }) */
export function natsLogin(credentials: NatsCredentials): Pick<NodeConnectionOptions, 'authenticator' | 'inboxPrefix' | 'name'> {
  const seed = new TextEncoder().encode(credentials.seed)
  return { authenticator: nkeyAuthenticator(seed), inboxPrefix: inboxPrefixOf(credentials.name), name: credentials.name }
}
